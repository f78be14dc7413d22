// What every stage is: a named step of the pipeline that either moves on or decides the rollout.
import { ApplicationFailure, condition, log } from '@temporalio/workflow';
import { FailureType } from '../../errors';
import type { Deployment, ModelArtifact } from '../../activities/model-host';
import type { RolloutContext } from '../rollout-context';
import { phaseOf, type DeepReadonly, type StageName } from '../state/rollout-state';
import type { WaitOutcome } from '../waits';
import { notify } from '../notify';
import { publishProgress } from '../visibility';

/** How the pipeline ends when nothing threw: promote, or roll back for a measured reason (at once in an emergency). */
export type Decision = { promote: true; reason: string } | { promote: false; reason: string; emergency?: boolean };

export interface Stage {
  name: StageName;
  /** Runs the stage; a Decision ends the pipeline there, undefined moves on to the next stage. */
  run(ctx: RolloutContext): Promise<Decision | undefined>;
}

/** Enters a stage: the timeline says why, and a changed phase is notified unless `quiet`. */
export function enter(ctx: RolloutContext, stage: StageName, message: string, quiet = false): void {
  const changed = ctx.rollout.enterStage(stage, message);
  publishProgress(ctx);
  log.info(message, { rolloutId: ctx.rollout.state.rolloutId, phase: phaseOf(ctx.rollout.state) });
  if (changed && !quiet) void notify(ctx, 'phase', 'INFO', message);
}

/** Before traffic reaches the candidate, a pause simply holds the pipeline at the next stage. */
export async function holdWhilePaused(ctx: RolloutContext): Promise<void> {
  if (ctx.rollout.state.paused) await condition(() => ctx.rollout.state.paused === null);
}

/** A wait that ended in a breach or a gate timing out decides the rollout. */
export function stopped(outcome: WaitOutcome, where: string): Decision | undefined {
  if (outcome.kind === 'breach') return { promote: false, reason: `${where}: ${outcome.reason}`, ...(outcome.emergency ? { emergency: true } : {}) };
  if (outcome.kind === 'gate-timeout') return { promote: false, reason: `${where}: ${outcome.reason}` };
  return undefined;
}

function missing(what: string): never {
  throw ApplicationFailure.nonRetryable(`internal: the rollout reached a stage that needs ${what} without it`, FailureType.INVALID_SPEC);
}

/** The artifact the quantize stage guarantees to every later stage. */
export function artifactOf(ctx: RolloutContext): DeepReadonly<ModelArtifact> {
  return ctx.rollout.state.artifact ?? missing('the quantized artifact');
}

/** The serving candidate the deploy stage guarantees to every later stage. */
export function candidateOf(ctx: RolloutContext): DeepReadonly<Deployment> {
  return ctx.rollout.state.candidate?.deployment ?? missing('a serving candidate');
}
