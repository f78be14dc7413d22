// A rollout's own folder under a worker's data folder. The workflow checks the id's pattern; this is
// the worker's own check, for any caller: a name that would leave the folder is a permanent fault.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../errors';
import { rolloutIdProblem } from '../config/rollout-id';
import { insideFolder } from '../safe-path';

export function rolloutFolder(base: string, rolloutId: string): string {
  const problem = rolloutIdProblem(rolloutId);
  if (problem) throw ApplicationFailure.nonRetryable(problem, FailureType.INVALID_SPEC);
  try {
    return insideFolder(base, rolloutId);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, FailureType.INVALID_SPEC);
  }
}
