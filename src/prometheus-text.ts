// Prometheus's text exposition format, for the figures Gantry renders itself (the gateway's
// analysis totals, the orchestrator's rollout gauges).

/** A label value, quoted, with backslash, double quote and newline escaped. */
export function labelValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
