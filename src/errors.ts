// One enum of stable failure types. Activities throw non-retryable ApplicationFailures of these
// types for permanent faults; the workflow and the CLI branch on the type, never on the message.
export const FailureType = {
  INVALID_SPEC: 'INVALID_SPEC',
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  INVALID_MODEL: 'INVALID_MODEL',
  QUANTIZE_FAILED: 'QUANTIZE_FAILED',
  SERVER_START_FAILED: 'SERVER_START_FAILED',
  SERVER_NOT_HEALTHY: 'SERVER_NOT_HEALTHY',
  PORT_IN_USE: 'PORT_IN_USE',
  EVAL_SUITE_INVALID: 'EVAL_SUITE_INVALID',
  GATEWAY_UNAVAILABLE: 'GATEWAY_UNAVAILABLE',
  GATEWAY_REJECTED: 'GATEWAY_REJECTED',
  METRICS_UNAVAILABLE: 'METRICS_UNAVAILABLE',
  TEMPORAL_UNAVAILABLE: 'TEMPORAL_UNAVAILABLE',
  ROLLOUT_NOT_FOUND: 'ROLLOUT_NOT_FOUND',
  /** a named thing other than a rollout (a client key, a route) does not exist */
  NOT_FOUND: 'NOT_FOUND',
  ROLLOUT_EXISTS: 'ROLLOUT_EXISTS',
  REFUSED: 'REFUSED',
  TOOL_MISSING: 'TOOL_MISSING',
  STABLE_UNAVAILABLE: 'STABLE_UNAVAILABLE',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** An error raised outside Temporal code (CLI, gateway, processes) with a stable type. */
export class GantryError extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
  ) {
    super(message);
    this.name = 'GantryError';
  }
}
