// rolloutWorkflow: one rollout, stable check → QA gate → quantize → deploy → shadow → canary steps →
// evaluation → promote, or rollback on any breach, failure or operator request; steerable in every
// phase by updates and signals (rollback, pause, resume, advance, approve). Deterministic: time comes
// from the workflow clock, every effect is an activity.
import { ApplicationFailure, CancellationScope, ContinueAsNew, isCancellation, log, patched, setHandler, upsertMemo } from '@temporalio/workflow';
import { statusQuery } from './messages';
import type { Command } from './commands';
import { installCommandHandlers } from './command-handlers';
import type { RolloutContext, RolloutInput } from './rollout-context';
import { initialRolloutState, type Outcome } from './state/rollout-state';
import { migrateState } from './state/legacy-status';
import { StateOwner } from './state/state-owner';
import { statusView } from './state/status-view';
import { runPipeline, type Decision } from './pipeline';
import { beginStepDown, rollbackHow, stepDown, type RollbackHow } from './gradual-rollback';
import { promote, recordOutcome, removeSchedules, rollback, teardownCandidate, type RolloutResult } from './finish';
import { onRelease2 } from './release';
import { keepPreviousWindow } from './keep-previous';
import { describeFailure } from './failures';
import { notify } from './notify';
import { withCurrentDefaults } from './spec-defaults';
import { publishProgress } from './visibility';
import { checkedInput, VALIDATE_INPUT } from './input-check';
import { recordFloor, settleEvaluation } from './quality';

export type { RolloutInput } from './rollout-context';
export type { RolloutResult } from './finish';

export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutResult> {
  const { rolloutId } = input;
  let given = input.spec;
  if (!input.resume && patched(VALIDATE_INPUT)) {
    const checked = checkedInput(input);
    if ('problem' in checked) throw ApplicationFailure.create({ message: checked.problem, type: 'INVALID_SPEC', nonRetryable: true });
    given = checked.spec;
  }
  const spec = withCurrentDefaults(given);
  const state = input.resume
    ? migrateState(input.resume, spec.candidate.host)
    : initialRolloutState(rolloutId, spec.route, spec.canary.steps.length, Date.now(), spec.quality !== undefined);
  const rollout = new StateOwner(state, () => Date.now());
  const ctx: RolloutContext = {
    input: { ...input, spec: given, resume: undefined },
    spec,
    rollout,
    control: { version: 0, exit: null, revert: null },
    inFlight: { evalRun: null },
  };
  if (!input.resume) {
    rollout.audit({ by: input.startedBy, action: 'start', reason: `rollout of ${spec.candidate.model} on route ${spec.route}` });
    upsertMemo({ route: spec.route, outcome: null });
    if (spec.qualityOff) rollout.note('quality: off (the spec says so): answers are not scored, and nothing about them can hold or roll back this rollout');
    void notify(ctx, 'started', 'INFO', `rollout started by ${input.startedBy}: ${spec.candidate.model} on route ${spec.route}`);
  }
  setHandler(statusQuery, () => statusView(rollout.state, Date.now()));
  publishProgress(ctx);

  const pipeline = new CancellationScope();
  // Operator rollbacks in the order they came; each cancels what runs: the pipeline, or a gradual rollback.
  const rollbacks: Command[] = [];
  let running = pipeline;
  installCommandHandlers(ctx, (command) => {
    rollbacks.push(command);
    running.cancel();
  });

  let decision: Decision;
  const resumedStepDown = rollout.state.gradualRollback;
  if (resumedStepDown) decision = { promote: false, reason: resumedStepDown.reason };
  else {
    try {
      decision = await pipeline.run(() => runPipeline(ctx));
    } catch (error) {
      if (error instanceof ContinueAsNew) throw error;
      // The operator's rollback wins whatever the cancelled pipeline threw on its way out.
      const operator = rollbacks[0];
      if (operator) return rollBack(ctx, `operator rollback by ${operator.by}: ${operator.reason}`, rollbackHow(ctx, false, operator));
      return failed(ctx, error);
    }
  }
  if (decision.promote) {
    const promoted = await finish(ctx, 'Promoted', decision.reason, () => promote(ctx));
    return ctx.rollout.state.kept ? keepPreviousWindow(ctx, promoted) : promoted;
  }
  return rollBack(ctx, decision.reason, rollbackHow(ctx, decision.emergency === true));

  /** Rolls back, gradually where the policy or the operator asks for it and nothing cuts it short. */
  async function rollBack(ctx: RolloutContext, reason: string, how: RollbackHow): Promise<RolloutResult> {
    const seen = rollbacks.length;
    let final = reason;
    if (beginStepDown(ctx, reason, how)) {
      const stepping = new CancellationScope();
      running = stepping;
      try {
        // A rollback that came while the step-down was being planned cancelled nothing: it ends it here.
        const cutShort = rollbacks.length > seen ? null : await stepping.run(() => stepDown(ctx));
        if (cutShort) final = `${reason}; the gradual rollback was cut short: ${cutShort}`;
      } catch (error) {
        if (error instanceof ContinueAsNew) throw error;
        if (rollbacks.length === seen) return failed(ctx, error);
      }
      const operator = rollbacks[seen];
      if (operator) final = `${reason}; the gradual rollback was finished at once by ${operator.by}: ${operator.reason}`;
    }
    return finish(ctx, 'RolledBack', final, () => rollback(ctx, final));
  }
}

/** The pipeline threw: cancelled from outside (the candidate is torn down, the cancellation goes on), or failed. */
async function failed(ctx: RolloutContext, error: unknown): Promise<never> {
  if (isCancellation(error)) {
    await finish(ctx, 'Cancelled', 'the workflow was cancelled', () => teardownCandidate(ctx, 'Cancelled'));
    throw error;
  }
  const { message, type } = describeFailure(error);
  log.error('rollout pipeline failed', { rolloutId: ctx.rollout.state.rolloutId, type, message });
  const result = await finish(ctx, 'Failed', message, () => teardownCandidate(ctx, 'Failed'), type);
  throw ApplicationFailure.create({ message, type: type ?? 'PIPELINE_FAILED', nonRetryable: true, details: [result.status] });
}

const LEVEL: Record<Outcome, 'INFO' | 'WARNING' | 'CRITICAL'> = { Promoted: 'INFO', RolledBack: 'CRITICAL', Failed: 'CRITICAL', Cancelled: 'WARNING' };
const EVENT = { Promoted: 'promoted', RolledBack: 'rolled-back', Failed: 'failed', Cancelled: 'failed' } as const;

async function finish(
  ctx: RolloutContext,
  outcome: Outcome,
  reason: string,
  cleanup: () => Promise<void>,
  failureType: string | null = null,
): Promise<RolloutResult> {
  await CancellationScope.nonCancellable(async () => {
    await settleEvaluation(ctx);
    await cleanup();
    await removeSchedules(ctx);
    await recordFloor(ctx);
  });
  ctx.rollout.finish(outcome, reason, failureType);
  publishProgress(ctx);
  upsertMemo({ route: ctx.spec.route, outcome });
  if (onRelease2()) await CancellationScope.nonCancellable(() => recordOutcome(ctx));
  // The last word is awaited (its retries are bounded) so it is not abandoned when the workflow closes.
  await notify(ctx, EVENT[outcome], LEVEL[outcome], `${outcome}: ${reason}`);
  return { outcome, reason, status: statusView(ctx.rollout.state, Date.now()) };
}
