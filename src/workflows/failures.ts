import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** The cause of a failure: the activity's failure type and message, not a stack of wrappers. */
export function describeFailure(error: unknown): { message: string; type: string | null } {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof ApplicationFailure) return { message: current.message, type: current.type ?? null };
  return { message: current instanceof Error ? current.message : String(current), type: null };
}
