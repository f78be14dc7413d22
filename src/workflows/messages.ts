// Signals, updates and the query of rolloutWorkflow. Exported so the CLI sends exactly these;
// documented in the README so operators can send them from any Temporal client.
//
// Every operator command exists twice under the same name: as an Update (the caller learns at once
// whether it was accepted; a refused one is rejected by the validator and leaves no trace in the
// history) and as a Signal, for clients that can only signal (a Schedule, `temporal workflow
// signal`). A signal's outcome is recorded in the status under its requestId.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CommandRecord } from './state/rollout-state';
import type { RolloutStatus } from './state/status-view';

export interface CommandMeta {
  by?: string;
  reason?: string;
  requestId?: string;
}

export interface RollbackRequest extends CommandMeta {
  reason: string;
  /** how to roll back; unset follows the spec's rollbackPolicy */
  kind?: 'immediate' | 'gradual';
  /** a gradual rollback's length ("10m", or ms) instead of the spec's rollbackPolicy.over */
  over?: string | number;
}

/** A revert takes a reason, nothing more. */
export type RevertRequest = CommandMeta & { reason: string };

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
/** `revert` {"reason", "by"?, "requestId"?}: after a promotion with keepPrevious, back to the previous stable. */
export const revertSignal = defineSignal<[RevertRequest]>('revert');

/** The same commands as Updates: the accepted command's record comes back, a refusal as an error. */
export const rollbackUpdate = defineUpdate<CommandRecord, [RollbackRequest]>('rollback');
export const pauseUpdate = defineUpdate<CommandRecord, [CommandMeta]>('pause');
export const resumeUpdate = defineUpdate<CommandRecord, [CommandMeta]>('resume');
export const advanceUpdate = defineUpdate<CommandRecord, [AdvanceRequest]>('advance');
export const approveUpdate = defineUpdate<CommandRecord, [CommandMeta]>('approve');
export const revertUpdate = defineUpdate<CommandRecord, [RevertRequest]>('revert');

export interface RatingsRequest extends CommandMeta {
  /** experts' ratings of sampled answers, 1 to 5, by the variant that answered (decoded from blinded item ids) */
  ratings: { itemId: string; variant: 'stable' | 'candidate'; rating: number }[];
}

export interface RatingsRecord {
  accepted: number;
  /** items rated before: not counted twice */
  duplicates: number;
  message: string;
}

/** `recordRatings` {"ratings": [{"itemId", "variant", "rating"}], "by"?}: expert ratings for a `ratings` quality metric. */
export const recordRatingsUpdate = defineUpdate<RatingsRecord, [RatingsRequest]>('recordRatings');

/** `status`: the rollout's live state: phase, step, weights, waits, verdicts, warnings, audit log. */
export const statusQuery = defineQuery<RolloutStatus>('status');

export const ROLLOUT_WORKFLOW_TYPE = 'rolloutWorkflow';
export const SCHEDULED_ADVANCE_WORKFLOW_TYPE = 'scheduledAdvanceWorkflow';
export const CONTROL_TASK_QUEUE = 'gantry';
export const hostTaskQueue = (host: string): string => `gantry-host.${host}`;
