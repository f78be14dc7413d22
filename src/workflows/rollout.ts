// rolloutWorkflow: one rollout, QA gate → quantize → deploy → shadow → canary steps → evaluation →
// promote, or rollback on any breach, failure or operator request; steerable in every phase by
// signals (rollback, pause, resume, advance, approve). Deterministic: time comes from the workflow
// clock, every effect is an activity.
import { ApplicationFailure, CancellationScope, ContinueAsNew, isCancellation, log, setHandler, upsertMemo } from '@temporalio/workflow';
import { advanceSignal, approveSignal, pauseSignal, resumeSignal, rollbackSignal, statusQuery } from './messages';
import { decideCommand, parseCommand, type Command, type CommandName } from './commands';
import { initialStatus, note, recordCommand, type Outcome, type RolloutStatus } from './rollout-state';
import type { RolloutContext, RolloutInput } from './rollout-context';
import { runPipeline, type Decision } from './pipeline';
import { promote, removeSchedules, rollback, teardownCandidate, type RolloutResult } from './finish';
import { describeFailure } from './failures';
import { refreshWaitingFor } from './waits';
import { notify } from './notify';

export type { RolloutInput } from './rollout-context';
export type { RolloutResult } from './finish';

export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutResult> {
  const { spec, rolloutId } = input;
  const status: RolloutStatus = input.resume ?? initialStatus(rolloutId, spec, Date.now());
  const ctx: RolloutContext = { input: { ...input, resume: undefined }, spec, status, control: { version: 0, exit: null } };
  if (!input.resume) {
    status.audit.push({ at: Date.now(), by: input.startedBy, action: 'start', reason: `rollout of ${spec.candidate.model} on route ${spec.route}` });
    upsertMemo({ route: spec.route, outcome: null });
    void notify(ctx, 'started', 'INFO', `rollout started by ${input.startedBy}: ${spec.candidate.model} on route ${spec.route}`);
  }
  setHandler(statusQuery, () => refreshWaitingFor(status, Date.now()));

  const pipeline = new CancellationScope();
  let operatorRollback: Command | undefined;
  const apply: Record<CommandName, (command: Command) => void> = {
    rollback: (command) => {
      operatorRollback = command;
      pipeline.cancel();
    },
    pause: (command) => {
      status.paused = { since: Date.now(), by: command.by, reason: command.reason };
      void notify(ctx, 'paused', 'WARNING', `paused by ${command.by}${command.reason ? `: ${command.reason}` : ''}`);
    },
    resume: (command) => {
      if (status.wait && status.paused) status.wait.pausedMs += Date.now() - Math.max(status.paused.since, status.wait.startedAt);
      status.paused = null;
      void notify(ctx, 'resumed', 'INFO', `resumed by ${command.by}`);
    },
    advance: (command) => {
      ctx.control.exit = command.force ? 'forced' : 'advanced';
    },
    approve: () => {
      ctx.control.exit = 'approved';
    },
  };
  const handle =
    (name: CommandName) =>
    (payload: unknown): void => {
      const parsed = parseCommand(name, payload);
      const at = Date.now();
      if (!parsed.ok) {
        recordCommand(status, { requestId: parsed.requestId, command: name, by: 'unknown', at, accepted: false, message: parsed.message });
        log.warn('malformed command refused', { rolloutId, command: name, message: parsed.message });
        return;
      }
      const { command } = parsed;
      const decision = decideCommand(status, command);
      recordCommand(status, { requestId: command.requestId, command: name, by: command.by, at, accepted: decision.accepted, message: decision.message });
      if (!decision.accepted) return;
      status.audit.push({ at, by: command.by, action: name, reason: command.reason || decision.message });
      note(status, at, decision.message);
      apply[name](command);
      ctx.control.version += 1;
    };
  setHandler(rollbackSignal, handle('rollback'));
  setHandler(pauseSignal, handle('pause'));
  setHandler(resumeSignal, handle('resume'));
  setHandler(advanceSignal, handle('advance'));
  setHandler(approveSignal, handle('approve'));

  let decision: Decision;
  try {
    decision = await pipeline.run(() => runPipeline(ctx));
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    // The operator's rollback wins whatever the cancelled pipeline threw on its way out.
    if (operatorRollback) {
      const by = operatorRollback.by;
      const reason = operatorRollback.reason;
      return finish(ctx, 'RolledBack', () => rollback(ctx, `operator rollback by ${by}: ${reason}`));
    }
    if (isCancellation(error)) {
      await finish(ctx, 'Cancelled', () => teardownCandidate(ctx, 'Cancelled'), 'the workflow was cancelled');
      throw error;
    }
    const { message, type } = describeFailure(error);
    log.error('rollout pipeline failed', { rolloutId, type, message });
    status.failureType = type;
    await finish(ctx, 'Failed', () => teardownCandidate(ctx, 'Failed'), message);
    throw ApplicationFailure.create({ message, type: type ?? 'PIPELINE_FAILED', nonRetryable: true, details: [status] });
  }
  if (decision.promote) return finish(ctx, 'Promoted', () => promote(ctx));
  const reason = decision.reason;
  return finish(ctx, 'RolledBack', () => rollback(ctx, reason));
}

const LEVEL: Record<Outcome, 'INFO' | 'WARNING' | 'CRITICAL'> = { Promoted: 'INFO', RolledBack: 'CRITICAL', Failed: 'CRITICAL', Cancelled: 'WARNING' };
const EVENT = { Promoted: 'promoted', RolledBack: 'rolled-back', Failed: 'failed', Cancelled: 'failed' } as const;

async function finish(ctx: RolloutContext, outcome: Outcome, cleanup: () => Promise<void>, reason?: string): Promise<RolloutResult> {
  const { status } = ctx;
  if (reason !== undefined) status.reason = reason;
  status.wait = null;
  status.paused = null;
  await CancellationScope.nonCancellable(async () => {
    await cleanup();
    await removeSchedules(ctx);
  });
  status.phase = outcome;
  status.outcome = outcome;
  status.stage = 'done';
  refreshWaitingFor(status, Date.now());
  note(status, Date.now(), `${outcome}: ${status.reason ?? ''}`);
  upsertMemo({ route: ctx.spec.route, outcome });
  // The last word is awaited (its retries are bounded) so it is not abandoned when the workflow closes.
  await notify(ctx, EVENT[outcome], LEVEL[outcome], `${outcome}: ${status.reason ?? ''}`);
  return { outcome, reason: status.reason ?? '', status };
}
