// Signals and queries of rolloutWorkflow. Exported so the CLI sends exactly these; documented in
// the README so operators can send them from any Temporal client.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RolloutStatus } from './rollout-state';

export interface RollbackRequest {
  reason: string;
  by?: string;
}

/** `rollback` — payload {"reason": "…", "by": "…"}: weight 0 at once, teardown, end RolledBack. */
export const rollbackSignal = defineSignal<[RollbackRequest]>('rollback');

/** `status` — the rollout's live state: phase, step, weights, verdicts, timeline. */
export const statusQuery = defineQuery<RolloutStatus>('status');

export const ROLLOUT_WORKFLOW_TYPE = 'rolloutWorkflow';
export const CONTROL_TASK_QUEUE = 'gantry';
export const hostTaskQueue = (host: string): string => `gantry-host.${host}`;
