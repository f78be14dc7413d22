// Waits: a timed soak (shadow phase, canary step) or a gate (approve, scheduled advance), during
// which the candidate is judged every analysis interval. Pause stops a soak's clock but never the
// analysis; a breach while paused still rolls back. Long waits continue as new when the history
// grows, carrying the whole state.
import { condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import { formatDuration } from '../config/duration';
import { analyse } from './analysis';
import { DEFAULT_HISTORY_LIMIT, type RolloutContext, type RolloutInput } from './rollout-context';
import type { WaitRequest } from './state/state-owner';
import { remainingMs } from './state/wait-clock';
import { waitingFor } from './state/status-view';
import { Alarm, CommandWaker, commandOrDeadline } from './timers';
import { onRelease2 } from './release';
import { notify } from './notify';
import { publishProgress } from './visibility';

export type WaitOutcome =
  { kind: 'ended'; forced: boolean } | { kind: 'breach'; reason: string; emergency?: boolean } | { kind: 'gate-timeout'; reason: string };

async function continueAsNewIfLong(ctx: RolloutContext): Promise<void> {
  const info = workflowInfo();
  if (ctx.control.exit !== null) return; // a command is about to be acted on: finish it in this run
  if (ctx.inFlight.evalRun !== null) return; // the eval set is running: its result belongs to this run
  if (!info.continueAsNewSuggested && info.historyLength < (ctx.input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) return;
  ctx.rollout.continuedAsNew(info.historyLength);
  // Typed by its input alone: naming the workflow function here would tie every stage to it.
  await continueAsNew<(input: RolloutInput) => Promise<unknown>>({ ...ctx.input, resume: ctx.rollout.carry() });
}

/** Runs a wait, resuming the one in the state if a previous run left it there. `until` ends it early when it holds. */
export async function runWait(ctx: RolloutContext, request: WaitRequest & { until?: () => boolean }): Promise<WaitOutcome> {
  const { rollout, control } = ctx;
  if (rollout.state.wait?.kind !== request.kind) {
    control.exit = null; // an advance meant for an earlier wait must not end this one
    rollout.beginWait(request);
    if (request.endsOn !== 'time') void notify(ctx, 'gate', 'WARNING', `waiting for ${waitingFor(rollout.state, Date.now()) ?? 'a gate'}`);
  }
  const alarm = new Alarm();
  const waker = new CommandWaker(() => control.version);
  let seen = control.version;
  for (;;) {
    const wait = rollout.state.wait;
    if (!wait) throw new Error('a wait ended outside runWait');
    publishProgress(ctx);
    const now = Date.now();
    if (control.exit !== null) {
      const forced = control.exit === 'forced';
      rollout.note(`${wait.kind} ended early: ${control.exit}`);
      control.exit = null;
      return end(ctx, forced);
    }
    if (request.until?.()) {
      rollout.note(`${wait.kind} ended: its condition holds`);
      return end(ctx, false);
    }
    const paused = rollout.state.paused;
    const remaining = remainingMs(wait, paused, now);
    if (wait.endsOn === 'time' && !paused && remaining <= 0) {
      // The window since the last analysis is judged too: a phase never ends on unread evidence.
      if (onRelease2() && wait.durationMs !== 0) {
        const found = await analyse(ctx, wait, true);
        if (found.kind === 'breach') return found;
      }
      return end(ctx, false);
    }
    if (wait.gateTimeoutAt !== null && now >= wait.gateTimeoutAt) {
      const after = formatDuration(now - wait.startedAt);
      const what = waitingFor(rollout.state, now) ?? 'the gate';
      if (wait.onTimeout === 'rollback') return { kind: 'gate-timeout', reason: `${what} timed out after ${after}` };
      rollout.note(`gate timed out after ${after}: holding`);
      void notify(ctx, 'gate', 'CRITICAL', `gate timed out after ${after}; holding at ${rollout.state.weight}% until approved`);
      rollout.holdAfterGateTimeout();
      continue;
    }
    let deadline = wait.lastAnalysisAt + analysisInterval(ctx);
    if (wait.endsOn === 'time' && !paused) deadline = Math.min(deadline, now + remaining);
    if (wait.gateTimeoutAt !== null) deadline = Math.min(deadline, wait.gateTimeoutAt);
    const release2 = onRelease2();
    const commanded = release2
      ? await commandOrDeadline(alarm, waker, seen, deadline, waitSummary(ctx))
      : await condition(() => control.version !== seen, Math.max(1, deadline - now));
    seen = control.version;
    if (commanded) continue; // look again before analysing: the command may end or pause the wait
    const found = await analyse(ctx, wait, release2);
    if (found.kind === 'breach') return found;
    await continueAsNewIfLong(ctx);
  }
}

/**
 * The QA gate's approve band asks for extra monitoring: the first phase that serves traffic to the
 * candidate (the shadow phase, or else the first canary step) is analysed twice as often.
 */
function analysisInterval(ctx: RolloutContext): number {
  const { spec, rollout } = ctx;
  const state = rollout.state;
  const firstTrafficPhase = spec.shadow ? state.stage === 'shadow' : state.stage === 'canary' && state.step === 0;
  return state.extraMonitoring && firstTrafficPhase ? spec.analysis.interval / 2 : spec.analysis.interval;
}

/** The timer's name in the Web UI: "soak canary step 2 at 50%", "shadow phase", … */
function waitSummary(ctx: RolloutContext): string {
  const { stage, step, weight, wait } = ctx.rollout.state;
  if (wait?.kind === 'step-down') return `gradual rollback at ${weight}%: until the next analysis`;
  if (stage === 'shadow') return 'shadow phase: until the next analysis';
  if (stage === 'canary') return `${wait?.kind === 'gate' ? 'gate after' : 'soak'} canary step ${step + 1} at ${weight}%: until the next analysis`;
  if (stage === 'evaluation' && wait?.kind === 'soak') return `canary extended at ${weight}%: until the next analysis`;
  return `${wait?.kind ?? 'wait'}: until the next analysis`;
}

function end(ctx: RolloutContext, forced: boolean): WaitOutcome {
  ctx.rollout.endWait();
  return { kind: 'ended', forced };
}
