// Workflow changes after the first release go behind patched(), so rollouts that were already
// running when a worker was upgraded replay their history exactly as it was written.
import { patched } from '@temporalio/workflow';

/**
 * Release 2: the stable is checked before anything moves; analyses read named measurements and the
 * route's health, treat a sick baseline as Error and pause after repeated Errors; waits never
 * cancel a timer. Histories written by release 1 take the release-1 path.
 */
export const RELEASE_2 = 'gantry-release-2';

export function onRelease2(): boolean {
  return patched(RELEASE_2);
}
