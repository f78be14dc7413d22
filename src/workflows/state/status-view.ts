// What the `status` query answers and the CLI shows: computed from the state and the workflow clock,
// changing nothing. Pure, so it is unit-tested and the same at any time for the same state.
import { formatDuration } from '../../config/duration';
import type { Deployment } from '../../activities/model-host';
import type { TrafficWindow } from '../../analysis/stats';
import { remainingMs } from './wait-clock';
import { describeStepDown } from './step-down';
import { phaseOf, type DeepReadonly, type Outcome, type Phase, type ReadonlyRolloutState, type RolloutState } from './rollout-state';

type R<T> = DeepReadonly<T>;

export interface RolloutStatus {
  rolloutId: string;
  route: string;
  phase: Phase;
  /** canary step index, -1 before the canary */
  step: number;
  steps: number;
  weight: number;
  shadowRate: number;
  startedAt: number;
  /** when the current timed wait ends at the earliest, epoch ms (pauses push it back); null when not in a timed wait */
  waitUntil: number | null;
  wait: R<RolloutState['wait']>;
  paused: R<RolloutState['paused']>;
  /** what the rollout waits for, in words */
  waitingFor: string | null;
  commands: R<RolloutState['commands']>;
  runs: number;
  analyses: number;
  consecutiveFailures: number;
  consecutiveErrors: number;
  lastVerdict: R<RolloutState['analysis']['last']>;
  recentVerdicts: R<RolloutState['analysis']['recent']>;
  stable: R<RolloutState['stable']>;
  qa: R<RolloutState['qa']>;
  artifact: R<RolloutState['artifact']>;
  quantLoss: R<RolloutState['quantLoss']>;
  candidate: R<Deployment> | null;
  shadowTotals: R<TrafficWindow>;
  canaryTotals: R<TrafficWindow>;
  /** analysis windows left out of the totals because the stable was too sick to compare with */
  excludedWindows: number;
  evaluation: R<RolloutState['evaluation']>;
  /** custom metrics (analysis.metrics): each one's latest value, verdict and counts in a row */
  metrics: R<NonNullable<RolloutState['metrics']>>;
  /** answer quality: pairs scored, every metric's latest verdict, the judge and its audit, the eval set */
  quality: R<RolloutState['quality']>;
  /** after a promotion with keepPrevious: the replaced stable, still serving until `until` unless ended */
  kept: R<NonNullable<RolloutState['kept']>> | null;
  /** a gradual rollback: its levels and how many were held; null when the rollout was not rolled back gradually */
  gradualRollback: R<NonNullable<RolloutState['gradualRollback']>> | null;
  outcome: Outcome | null;
  reason: string | null;
  failureType: string | null;
  /** what an operator should look at now, e.g. a stable that is down */
  warnings: string[];
  audit: R<RolloutState['audit']>;
  timeline: R<RolloutState['timeline']>;
}

export function statusView(state: ReadonlyRolloutState, now: number): RolloutStatus {
  const { wait, paused } = state;
  const timed = wait !== null && wait.endsOn === 'time';
  return {
    rolloutId: state.rolloutId,
    route: state.route,
    phase: phaseOf(state),
    step: state.step,
    steps: state.stepCount,
    weight: state.weight,
    shadowRate: state.shadowRate,
    startedAt: state.startedAt,
    waitUntil: timed ? now + remainingMs(wait, paused, now) : null,
    wait,
    paused,
    waitingFor: waitingFor(state, now),
    commands: state.commands,
    runs: state.runs,
    analyses: state.analysis.count,
    consecutiveFailures: state.analysis.consecutiveFailures,
    consecutiveErrors: state.analysis.consecutiveErrors,
    lastVerdict: state.analysis.last,
    recentVerdicts: state.analysis.recent,
    stable: state.stable,
    qa: state.qa,
    artifact: state.artifact,
    quantLoss: state.quantLoss,
    candidate: state.candidate?.deployment ?? null,
    shadowTotals: state.totals.shadow,
    canaryTotals: state.totals.canary,
    excludedWindows: state.analysis.excludedWindows,
    evaluation: state.evaluation,
    metrics: state.metrics ?? [],
    quality: state.quality,
    kept: state.kept ?? null,
    gradualRollback: state.gradualRollback ?? null,
    outcome: state.result?.outcome ?? null,
    reason: state.result?.reason ?? null,
    failureType: state.result?.failureType ?? null,
    warnings: warnings(state),
    audit: state.audit,
    timeline: state.timeline,
  };
}

/** What the rollout waits for, in words: the current wait, and a pause in front of it. */
export function waitingFor(state: ReadonlyRolloutState, now: number): string | null {
  const kept = state.kept;
  if (state.result?.outcome === 'Promoted' && kept && kept.ended === null) {
    return `a revert, or the keep window to end: ${kept.deploymentId} keeps serving for ${formatDuration(Math.max(0, kept.until - now))}`;
  }
  if (state.result) return null;
  const { wait, paused } = state;
  let text: string | null = null;
  if (wait) {
    const stepText = `step ${state.step + 1} (${state.weight}%)`;
    if (wait.endsOn === 'time') {
      text = timedWaitFor(state, wait, remainingMs(wait, paused, now), stepText);
    } else if (wait.kind === 'qa-gate') {
      text = `approval: the QA score is in the review band (${state.qa?.score?.value.toFixed(1) ?? '?'})`;
    } else if (wait.kind === 'quality-gate') {
      text = 'approval, or every critical quality metric to pass';
    } else if (wait.endsOn === 'approve') {
      text = wait.kind === 'promotion-gate' ? 'approval to promote' : `approval to leave ${stepText}`;
    } else {
      text = `a scheduled advance to leave ${stepText}`;
    }
    if (wait.gateTimeoutAt !== null) text += ` (gate times out in ${formatDuration(Math.max(0, wait.gateTimeoutAt - now))}, then ${wait.onTimeout})`;
  }
  if (paused) text = `resume (paused by ${paused.by})${text && text !== 'resume' ? `, then ${text}` : ''}`;
  return text;
}

/** A wait that ends when its time is up, in words; `left`: its time still to run. */
function timedWaitFor(state: ReadonlyRolloutState, wait: NonNullable<ReadonlyRolloutState['wait']>, left: number, stepText: string): string {
  if (wait.kind === 'step-down' && state.gradualRollback) return describeStepDown(state.gradualRollback, left);
  if (state.stage === 'evaluation' && wait.kind === 'soak') {
    return `more canary evidence at ${state.weight}%: the evaluation was inconclusive; evaluating again in ${formatDuration(left)} (extension ${state.evaluationExtensions ?? 1})`;
  }
  if (wait.kind === 'shadow') {
    return state.shadowExtensions
      ? `more shadow pairs: ${state.totals.shadow.pairs} of ${wait.minPairs} counted; checking again in ${formatDuration(left)} (extension ${state.shadowExtensions})`
      : `the shadow phase to end (${formatDuration(left)} left)`;
  }
  if (wait.kind === 'eval-set') return `the eval set that is running to finish (at most ${formatDuration(left)} more; judged every interval meanwhile)`;
  return wait.durationMs === 0 ? 'resume' : `${stepText} to end (${formatDuration(left)} left)`;
}

function warnings(state: ReadonlyRolloutState): string[] {
  if (state.result) return [];
  const list: string[] = [];
  const probe = state.analysis.stableProbe;
  const last = state.analysis.last;
  if (probe?.healthy === false) list.push(`the route's stable is down: ${probe.detail}`);
  else if (last?.baselineHealthy === false) list.push(`the route's stable is unhealthy: ${last.summary}`);
  if (last?.warnings?.length) list.push(`warning-severity rules failing: ${last.warnings.join('; ')}`);
  if (state.stage === 'evaluation' && state.wait?.kind === 'soak' && state.evaluation) {
    list.push(`the evaluation was inconclusive, the canary goes on: ${state.evaluation.reasons.join('; ')}`);
  }
  if (state.wait?.kind === 'shadow' && state.shadowExtensions) {
    list.push(`the shadow phase counted too few pairs (${state.totals.shadow.pairs} of ${state.wait.minPairs}) and goes on`);
  }
  if (state.analysis.consecutiveErrors > 0 && last) {
    list.push(
      `${state.analysis.consecutiveErrors} analysis window${state.analysis.consecutiveErrors > 1 ? 's' : ''} in a row without usable evidence: ${last.summary}`,
    );
  }
  return list;
}
