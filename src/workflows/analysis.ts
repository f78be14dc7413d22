// One analysis interval: read the window's measurements and the route's health, judge the
// candidate against a healthy stable, record the verdict. A measurement that could not be taken,
// and a stable too sick to compare with, are Error: never a rollback on their own, never a Pass;
// too many of them in a row pause the rollout and alert instead of flying blind.
import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import { judgeInterval, type IntervalVerdict } from '../analysis/interval-verdict';
import { judgeBaseline } from '../analysis/baseline-health';
import { trafficFromMeasurements } from '../analysis/measurements';
import type { TrafficWindow } from '../analysis/stats';
import type { RouteHealth } from '../activities/traffic';
import { legacyMetrics, metrics } from './activity-proxies';
import { describeFailure } from './failures';
import { judgeCustomMetrics, readCustomMetrics } from './custom-metrics';
import { pauseWithAlert } from './self-pause';
import { recordInterval } from './interval-log';
import { notify } from './notify';
import { assessQuality } from './quality';
import type { RolloutContext } from './rollout-context';
import type { DeepReadonly, WaitState } from './state/rollout-state';

/**
 * What an analysis found that the wait must act on. An emergency (the breaker tripped, an
 * emergency-severity metric failed) rolls back at once, whatever the rollback policy.
 */
export type AnalysisOutcome = { kind: 'breach'; reason: string; emergency?: boolean } | { kind: 'none' };

const NOTHING: AnalysisOutcome = { kind: 'none' };
/** Histories written before a breaker trip alerted at EMERGENCY sent no alert there; they replay without one. */
const BREAKER_EMERGENCY_ALERT = 'gantry-breaker-emergency-alert';
const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;
/** UTC time of day, for activity summaries in the Web UI. */
const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

export async function analyse(ctx: RolloutContext, wait: DeepReadonly<WaitState>, release2: boolean): Promise<AnalysisOutcome> {
  const { rollout } = ctx;
  const windowEnd = floorSecond(Date.now());
  rollout.analysisStarted();
  if (windowEnd <= wait.windowStart || wait.analysis === 'none') return NOTHING;
  if (!release2) return analyseWindowRelease1(ctx, wait, windowEnd);
  const read: { traffic: TrafficWindow | null } = { traffic: null };
  const analysesBefore = rollout.state.analysis.count;
  const found = await analyseWindow(ctx, wait, windowEnd, read);
  // A gradual rollback is already under way for any breach but an emergency: the verdicts are recorded, nothing more.
  const outcome = wait.kind === 'step-down' && found.kind === 'breach' && found.emergency !== true ? NOTHING : found;
  await recordInterval(ctx, wait, {
    traffic: read.traffic,
    breach: outcome.kind === 'breach' ? outcome.reason : null,
    judged: rollout.state.analysis.count > analysesBefore,
  });
  return outcome;
}

/** `read.traffic` is set to the window's traffic once it could be read. */
async function analyseWindow(
  ctx: RolloutContext,
  wait: DeepReadonly<WaitState>,
  windowEnd: number,
  read: { traffic: TrafficWindow | null },
): Promise<AnalysisOutcome> {
  const { rollout, spec } = ctx;
  const window = {
    route: spec.route,
    fromMs: wait.windowStart,
    toMs: windowEnd,
    // Nothing a metric store counted before the rollout began may count as its traffic.
    notBeforeMs: rollout.state.startedAt,
    ...(spec.analysis.provider ? { provider: spec.analysis.provider } : {}),
  };
  // Reads are not cancelled with the pipeline: a rollback never races a read that is just completing.
  const [measured, health, custom] = await CancellationScope.nonCancellable(() =>
    Promise.all([
      attempt(metrics.collectMeasurements.executeWithOptions({ summary: `collect window ${clock(window.fromMs)}–${clock(window.toMs)}` }, [window])),
      attempt(metrics.routeHealth({ route: spec.route })),
      readCustomMetrics(ctx, windowEnd),
    ]),
  );
  if (measured.ok) rollout.windowCollected(windowEnd);
  // The gateway already cut the candidate off between two analyses: roll back now, alerting at EMERGENCY.
  if (health.ok && health.value.breakerOpen) {
    if (patched(BREAKER_EMERGENCY_ALERT)) void notify(ctx, 'rolled-back', 'EMERGENCY', `rolling back at once: ${health.value.breakerOpen}`);
    return { kind: 'breach', reason: health.value.breakerOpen, emergency: true };
  }
  rollout.stableProbed(health.ok ? health.value.stable : null);
  const customBreach = judgeCustomMetrics(ctx, custom, windowEnd);
  if (customBreach) return { kind: 'breach', ...customBreach };
  // Pairs live in the pair store, not the metric store: their quality is judged even when metrics are down.
  if (!measured.ok) {
    recordError(ctx, wait, `metrics unavailable: ${measured.error}`);
    return assessQuality(ctx, windowEnd);
  }
  const traffic = trafficFromMeasurements(measured.value, window.fromMs, window.toMs);
  if (!traffic.ok) {
    recordError(ctx, wait, `metrics unavailable: ${traffic.error}`);
    return assessQuality(ctx, windowEnd);
  }
  read.traffic = traffic.window;
  const baseline = judgeBaseline(traffic.window.stable, health.ok ? health.value.stable : null, spec.analysis.baseline);
  const judged = traffic.window[wait.analysis === 'shadow' ? 'shadow' : 'candidate'];
  const verdict = judgeInterval(traffic.window.stable, judged, spec.analysis.rollback, baseline, spec.analysis.cost);
  const found = record(ctx, wait, verdict, traffic.window);
  if (found.kind === 'breach') return found;
  return assessQuality(ctx, windowEnd);
}

/** The first release's analysis, for histories it wrote: the gateway's window, its breaker, no baseline check. */
async function analyseWindowRelease1(ctx: RolloutContext, wait: DeepReadonly<WaitState>, windowEnd: number): Promise<AnalysisOutcome> {
  const { rollout, spec } = ctx;
  let window: TrafficWindow & { breakerOpen?: string | null };
  try {
    window = await legacyMetrics.collectWindow({ route: spec.route, fromMs: wait.windowStart, toMs: windowEnd });
  } catch (error) {
    if (isCancellation(error)) throw error;
    const summary = `metrics unavailable: ${describeFailure(error).message}`;
    rollout.verdictRecorded({ verdict: 'Error', checks: [], summary, candidateRequests: 0, baselineRequests: 0 }, null, wait.analysis);
    return NOTHING;
  }
  rollout.windowCollected(windowEnd);
  if (window.breakerOpen) return { kind: 'breach', reason: window.breakerOpen, emergency: true };
  const verdict = judgeInterval(window.stable, wait.analysis === 'shadow' ? window.shadow : window.candidate, spec.analysis.rollback);
  const recorded = rollout.verdictRecorded(verdict, window, wait.analysis);
  const failures = rollout.state.analysis.consecutiveFailures;
  if (failures >= spec.analysis.failureLimit) return breach(recorded.summary, failures);
  return NOTHING;
}

function record(ctx: RolloutContext, wait: DeepReadonly<WaitState>, verdict: IntervalVerdict, traffic: TrafficWindow): AnalysisOutcome {
  const { rollout, spec } = ctx;
  const warnedBefore = (rollout.state.analysis.last?.warnings?.length ?? 0) > 0;
  const recorded = rollout.verdictRecorded(verdict, traffic, wait.analysis);
  if (recorded.warnings && !warnedBefore) warn(ctx, recorded.warnings);
  if (recorded.verdict === 'Error') return pauseIfBlind(ctx);
  const failures = rollout.state.analysis.consecutiveFailures;
  if (recorded.verdict === 'Fail' && recorded.emergency) {
    void notify(ctx, 'rolled-back', 'EMERGENCY', `rolling back at once: ${recorded.summary}`);
    return { kind: 'breach', reason: recorded.summary, emergency: true };
  }
  if (recorded.verdict === 'Fail' && failures >= spec.analysis.failureLimit) return breach(recorded.summary, failures);
  return NOTHING;
}

/** Warning-severity rules that began failing: said once per streak, and a pause where the spec asks for one. */
function warn(ctx: RolloutContext, warnings: readonly string[]): void {
  const message = `warning: ${warnings.join('; ')}`;
  if (ctx.spec.analysis.rollback.pauseOnWarning) {
    pauseWithAlert(ctx, message, 'WARNING', 'Look into it, then resume (or roll back).');
    return;
  }
  ctx.rollout.note(message);
  void notify(ctx, 'phase', 'WARNING', message);
}

/** Records an Error window, and pauses when there were too many in a row. */
function recordError(ctx: RolloutContext, wait: DeepReadonly<WaitState>, summary: string): void {
  ctx.rollout.verdictRecorded({ verdict: 'Error', checks: [], summary, candidateRequests: 0, baselineRequests: 0 }, null, wait.analysis);
  pauseIfBlind(ctx);
}

/** Repeated Error windows pause the rollout (analysis goes on) and alert: nobody should fly blind for days. */
function pauseIfBlind(ctx: RolloutContext): typeof NOTHING {
  const { rollout, spec } = ctx;
  const errors = rollout.state.analysis.consecutiveErrors;
  const limit = spec.analysis.consecutiveErrorLimit;
  if (errors < limit) return NOTHING;
  const summary = rollout.state.analysis.last?.summary ?? '';
  pauseWithAlert(ctx, `${errors} analysis windows in a row without usable evidence (limit ${limit}): ${summary}`, 'CRITICAL');
  return NOTHING;
}

function breach(summary: string, failures: number): AnalysisOutcome {
  return { kind: 'breach', reason: `${summary} (${failures} failed check${failures > 1 ? 's' : ''} in a row)` };
}

type Attempted<T> = { ok: true; value: T } | { ok: false; error: string };

/** An activity's result, or why it failed; cancellation still propagates. */
async function attempt<T>(promise: Promise<T>): Promise<Attempted<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    if (isCancellation(error)) throw error;
    return { ok: false, error: describeFailure(error).message };
  }
}

export type { RouteHealth };
