// Waits: a timed soak (shadow phase, canary step) or a gate (approve, scheduled advance), during
// which the candidate is judged every analysis interval. Pause stops a soak's clock but never the
// analysis; a breach while paused still rolls back. Long waits continue as new when the history
// grows, carrying the whole state.
import { condition, continueAsNew, isCancellation, workflowInfo } from '@temporalio/workflow';
import { judgeInterval } from '../analysis/interval-verdict';
import { mergeWindows, type WindowStats } from '../analysis/stats';
import { formatDuration } from '../config/duration';
import { metrics } from './activity-proxies';
import { DEFAULT_HISTORY_LIMIT, type RolloutContext } from './rollout-context';
import { note, recordVerdict, remainingMs, type RolloutStatus, type WaitState } from './rollout-state';
import { describeFailure } from './failures';
import { notify } from './notify';
import type { rolloutWorkflow } from './rollout';

export type WaitOutcome = { kind: 'ended'; forced: boolean } | { kind: 'breach'; reason: string } | { kind: 'gate-timeout'; reason: string };

export type WaitRequest = Pick<WaitState, 'kind' | 'endsOn' | 'durationMs' | 'analysis'> & {
  gateTimeoutMs?: number;
  onTimeout?: 'rollback' | 'hold';
  minPairs?: number;
};

const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** Recomputes the words and the deadline a status query shows. */
export function refreshWaitingFor(status: RolloutStatus, now: number): RolloutStatus {
  const wait = status.wait;
  let text: string | null = null;
  status.waitUntil = null;
  if (wait) {
    const stepText = `step ${status.step + 1} (${status.weight}%)`;
    if (wait.endsOn === 'time') {
      const left = remainingMs(wait, status.paused, now);
      status.waitUntil = now + left;
      text =
        wait.kind === 'shadow'
          ? `the shadow phase to end (${formatDuration(left)} left)`
          : wait.durationMs === 0
            ? 'resume'
            : `${stepText} to end (${formatDuration(left)} left)`;
    } else if (wait.endsOn === 'approve') {
      text = wait.kind === 'promotion-gate' ? 'approval to promote' : `approval to leave ${stepText}`;
    } else {
      text = `a scheduled advance to leave ${stepText}`;
    }
    if (wait.gateTimeoutAt !== null) text += ` (gate times out in ${formatDuration(Math.max(0, wait.gateTimeoutAt - now))}, then ${wait.onTimeout})`;
  }
  if (status.paused) text = `resume (paused by ${status.paused.by})${text && text !== 'resume' ? `, then ${text}` : ''}`;
  status.waitingFor = text;
  return status;
}

async function analyse(ctx: RolloutContext, wait: WaitState): Promise<string | undefined> {
  const { status, spec } = ctx;
  const windowEnd = floorSecond(Date.now());
  wait.lastAnalysisAt = Date.now();
  if (windowEnd <= wait.windowStart) return undefined;
  let window: WindowStats;
  try {
    window = await metrics.collectWindow({ route: spec.route, fromMs: wait.windowStart, toMs: windowEnd });
  } catch (error) {
    if (isCancellation(error)) throw error;
    // A measurement that could not be taken is never a failure: a metric outage must not roll back.
    recordVerdict(status, {
      verdict: 'Error',
      checks: [],
      summary: `metrics unavailable: ${describeFailure(error).message}`,
      candidateRequests: 0,
      baselineRequests: 0,
      at: Date.now(),
      phase: status.phase,
      step: status.step,
    });
    return undefined;
  }
  wait.windowStart = windowEnd;
  // The gateway already cut the candidate off between two analyses: roll back now.
  if (window.breakerOpen) return window.breakerOpen;
  if (wait.analysis === 'shadow') status.shadowTotals = mergeWindows(status.shadowTotals, window);
  else status.canaryTotals = mergeWindows(status.canaryTotals, window);
  const verdict = judgeInterval(window.stable, wait.analysis === 'shadow' ? window.shadow : window.candidate, spec.analysis.rollback);
  recordVerdict(status, { ...verdict, at: Date.now(), phase: status.phase, step: status.step });
  if (status.consecutiveFailures >= spec.analysis.failureLimit) {
    return `${verdict.summary} (${status.consecutiveFailures} failed check${status.consecutiveFailures > 1 ? 's' : ''} in a row)`;
  }
  return undefined;
}

async function continueAsNewIfLong(ctx: RolloutContext): Promise<void> {
  const info = workflowInfo();
  if (ctx.control.exit !== null) return; // a command is about to be acted on: finish it in this run
  if (!info.continueAsNewSuggested && info.historyLength < (ctx.input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) return;
  ctx.status.runs += 1;
  note(ctx.status, Date.now(), `continuing as new (run ${ctx.status.runs}, ${info.historyLength} events in the last)`);
  await continueAsNew<typeof rolloutWorkflow>({ ...ctx.input, resume: ctx.status });
}

/** Runs a wait, resuming the one in the status if a previous run left it there. */
export async function runWait(ctx: RolloutContext, request: WaitRequest): Promise<WaitOutcome> {
  const { status, spec, control } = ctx;
  if (status.wait?.kind !== request.kind) {
    const now = Date.now();
    control.exit = null; // an advance meant for an earlier wait must not end this one
    status.wait = {
      kind: request.kind,
      endsOn: request.endsOn,
      durationMs: request.durationMs,
      analysis: request.analysis,
      startedAt: now,
      pausedMs: 0,
      gateTimeoutAt: request.gateTimeoutMs === undefined ? null : now + request.gateTimeoutMs,
      onTimeout: request.onTimeout ?? null,
      minPairs: request.minPairs ?? 0,
      windowStart: floorSecond(now),
      lastAnalysisAt: now,
    };
    if (request.endsOn !== 'time') void notify(ctx, 'gate', 'WARNING', `waiting for ${refreshWaitingFor(status, now).waitingFor ?? 'a gate'}`);
  }
  const wait = status.wait;
  let seen = control.version;
  for (;;) {
    const now = Date.now();
    refreshWaitingFor(status, now);
    if (control.exit !== null) {
      const forced = control.exit === 'forced';
      note(status, now, `${wait.kind} ended early: ${control.exit}`);
      control.exit = null;
      return end(status, forced);
    }
    const remaining = remainingMs(wait, status.paused, now);
    if (wait.endsOn === 'time' && !status.paused && remaining <= 0) return end(status, false);
    if (wait.gateTimeoutAt !== null && now >= wait.gateTimeoutAt) {
      const after = formatDuration(now - wait.startedAt);
      if (wait.onTimeout === 'rollback') return { kind: 'gate-timeout', reason: `${status.waitingFor ?? 'the gate'} timed out after ${after}` };
      note(status, now, `gate timed out after ${after}: holding`);
      void notify(ctx, 'gate', 'CRITICAL', `gate timed out after ${after}; holding at ${status.weight}% until approved`);
      wait.gateTimeoutAt = null;
      continue;
    }
    let deadline = wait.lastAnalysisAt + spec.analysis.interval;
    if (wait.endsOn === 'time' && !status.paused) deadline = Math.min(deadline, now + remaining);
    if (wait.gateTimeoutAt !== null) deadline = Math.min(deadline, wait.gateTimeoutAt);
    const commanded = await condition(() => control.version !== seen, Math.max(1, deadline - now));
    seen = control.version;
    if (commanded) continue; // look again before analysing: the command may end or pause the wait
    const breach = await analyse(ctx, wait);
    if (breach) return { kind: 'breach', reason: breach };
    await continueAsNewIfLong(ctx);
  }
}

function end(status: RolloutStatus, forced: boolean): WaitOutcome {
  status.wait = null;
  status.waitUntil = null;
  status.waitingFor = null;
  return { kind: 'ended', forced };
}
