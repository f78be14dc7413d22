// Signals and queries of rolloutWorkflow. Exported so the CLI sends exactly these; documented in
// the README so operators can send them from any Temporal client. Every command carries who sent
// it and may carry a requestId: the outcome (accepted or refused, and why) is recorded in the
// status under that id, which is how the CLI learns whether its command took effect.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RolloutStatus } from './rollout-state';

export interface CommandMeta {
  by?: string;
  reason?: string;
  requestId?: string;
}

export interface RollbackRequest extends CommandMeta {
  reason: string;
}

export interface AdvanceRequest extends CommandMeta {
  /** advance even though the latest analysis failed */
  force?: boolean;
  /** schedules may only end waits whose step policy is `schedule` */
  source?: 'operator' | 'schedule';
}

/** `rollback` {"reason", "by"?, "requestId"?}: weight 0 at once, teardown, end RolledBack. */
export const rollbackSignal = defineSignal<[RollbackRequest]>('rollback');
/** `pause` {"by"?, "reason"?, "requestId"?}: freeze traffic and step timers; analysis goes on. */
export const pauseSignal = defineSignal<[CommandMeta]>('pause');
/** `resume` {"by"?, "reason"?, "requestId"?}: the remaining time of the current wait continues. */
export const resumeSignal = defineSignal<[CommandMeta]>('resume');
/** `advance` {"by"?, "reason"?, "force"?, "source"?, "requestId"?}: end the current timed wait now. */
export const advanceSignal = defineSignal<[AdvanceRequest]>('advance');
/** `approve` {"by"?, "reason"?, "requestId"?}: release a manual gate (a step or promotion). */
export const approveSignal = defineSignal<[CommandMeta]>('approve');

/** `status`: the rollout's live state: phase, step, weights, waits, verdicts, audit log. */
export const statusQuery = defineQuery<RolloutStatus>('status');

export const ROLLOUT_WORKFLOW_TYPE = 'rolloutWorkflow';
export const CONTROL_TASK_QUEUE = 'gantry';
export const hostTaskQueue = (host: string): string => `gantry-host.${host}`;
