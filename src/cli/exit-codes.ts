// Exit codes that mean something to scripts: success, bad input, not found, refused, a component
// unavailable, and how a rollout ended.
import { FailureType, GantryError } from '../errors';

export const ExitCode = {
  OK: 0,
  ERROR: 1,
  INVALID_INPUT: 2,
  NOT_FOUND: 3,
  REFUSED: 4,
  UNAVAILABLE: 5,
  ROLLED_BACK: 10,
  FAILED: 11,
  CANCELLED: 12,
} as const;

const BY_TYPE: Partial<Record<FailureType, number>> = {
  [FailureType.INVALID_SPEC]: ExitCode.INVALID_INPUT,
  [FailureType.MODEL_NOT_FOUND]: ExitCode.INVALID_INPUT,
  [FailureType.INVALID_MODEL]: ExitCode.INVALID_INPUT,
  [FailureType.EVAL_SUITE_INVALID]: ExitCode.INVALID_INPUT,
  [FailureType.ROLLOUT_NOT_FOUND]: ExitCode.NOT_FOUND,
  [FailureType.NOT_FOUND]: ExitCode.NOT_FOUND,
  [FailureType.ROLLOUT_EXISTS]: ExitCode.REFUSED,
  [FailureType.REFUSED]: ExitCode.REFUSED,
  [FailureType.PORT_IN_USE]: ExitCode.REFUSED,
  [FailureType.TEMPORAL_UNAVAILABLE]: ExitCode.UNAVAILABLE,
  [FailureType.GATEWAY_UNAVAILABLE]: ExitCode.UNAVAILABLE,
  [FailureType.TOOL_MISSING]: ExitCode.UNAVAILABLE,
};

export function exitCodeFor(error: unknown): number {
  return error instanceof GantryError ? (BY_TYPE[error.type] ?? ExitCode.ERROR) : ExitCode.ERROR;
}

export function exitCodeForOutcome(outcome: string | null): number {
  switch (outcome) {
    case 'Promoted':
      return ExitCode.OK;
    case 'RolledBack':
      return ExitCode.ROLLED_BACK;
    case 'Cancelled':
      return ExitCode.CANCELLED;
    default:
      return ExitCode.FAILED;
  }
}
