// Answer quality inside the rollout: every analysis interval scores the pairs recorded since the
// last one, runs the eval set when due, and classifies every quality metric. A critical FAIL rolls
// back at once, with a reason that quotes the estimate, its interval, n and the judge. The judge is
// audited once per rollout before anything it says is counted; one that fails gives NO DATA.
import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import { qualityMetricSchema, type QualitySpec } from '../config/quality-spec';
import type { JudgeTarget } from '../activities/quality';
import {
  classifyMetric,
  classifyQuality,
  criticalFailure,
  criticalUnsettled,
  type MetricVerdict,
  type QualityEvidence,
} from '../analysis/quality/metric-verdicts';
import { evalWork, hostActivities, hostCleanup, qualityWork } from './activity-proxies';
import { describeFailure } from './failures';
import { notify } from './notify';
import type { RolloutContext } from './rollout-context';
import type { DeepReadonly, QualityState } from './state/rollout-state';
import { addPairTotals, emptyPairTotals, type PairTotals } from '../analysis/quality/quality-totals';

const JUDGE_READY_TIMEOUT_MS = 120_000;
/** Batches per interval at most: the rest of a backlog waits for the next interval. */
const BATCHES_PER_INTERVAL = 3;

export type QualityOutcome = { kind: 'breach'; reason: string } | { kind: 'none' };

/** The floor this rollout judges against: the route's recorded one, plus this rollout's own A/A pairs. */
export function floorOf(q: DeepReadonly<QualityState>): PairTotals {
  return addPairTotals(q.floorPrior ?? emptyPairTotals(), q.totals.floor ?? emptyPairTotals());
}

function evidenceOf(q: DeepReadonly<QualityState>, spec: QualitySpec): QualityEvidence {
  return {
    shadow: q.totals.shadow,
    canary: q.totals.canary,
    floor: floorOf(q),
    judge: { audit: q.judge.audit, available: spec.judge !== undefined },
    evalFlips: q.evalFlips,
    ratings: q.ratings,
  };
}

/** Classifies every metric from the state as it is now. */
export function reclassify(ctx: RolloutContext): MetricVerdict[] {
  const { rollout, spec } = ctx;
  if (!spec.quality || !rollout.state.quality) return [];
  const verdicts = classifyQuality(spec.quality, evidenceOf(rollout.state.quality, spec.quality));
  rollout.qualityClassified(verdicts);
  return verdicts;
}

function judgeTarget(ctx: RolloutContext): JudgeTarget | null {
  const judge = ctx.spec.quality?.judge;
  const state = ctx.rollout.state.quality?.judge;
  if (!judge || !state?.url || !state.identity) return null;
  return {
    url: state.url,
    model: judge.model,
    apiKeyEnv: judge.apiKeyEnv,
    constrain: judge.constrain,
    seed: judge.seed,
    timeoutMs: judge.timeout,
    identity: state.identity,
  };
}

/** The judge: served by a host agent for this rollout or reached at its endpoint, then audited. */
async function readyJudge(ctx: RolloutContext): Promise<void> {
  const { rollout, spec } = ctx;
  const judge = spec.quality?.judge;
  const state = rollout.state.quality;
  if (!judge || !state || state.judge.audit) return;
  if (!state.judge.url) {
    if (judge.serve) {
      const host = hostActivities(judge.serve.host, JUDGE_READY_TIMEOUT_MS);
      const model = await host.inspectModel({ path: judge.serve.model });
      const served = await host.startModelServer({
        deploymentId: `${rollout.state.rolloutId}-judge`,
        modelPath: judge.serve.model,
        engine: 'llama.cpp',
        servedName: judge.model,
        options: { contextSize: judge.serve.contextSize, threads: judge.serve.threads, parallel: 1, extraArgs: [] },
        readyTimeoutMs: JUDGE_READY_TIMEOUT_MS,
      });
      const file = judge.serve.model.split('/').at(-1) ?? judge.serve.model;
      rollout.judgeServing(served.deploymentId, served.host, served.endpoint, `sha256:${model.sha256.slice(0, 16)} (${file})`);
    } else if (judge.endpoint) {
      rollout.judgeServing(null, null, judge.endpoint, `${judge.endpoint} model ${judge.model}`);
    }
  }
  const target = judgeTarget(ctx);
  if (!target) return;
  const audit = await qualityWork.auditJudge({
    rolloutId: rollout.state.rolloutId,
    judge: target,
    examples: judge.audit.examples ?? '',
    minTieRate: judge.audit.minTieRate,
    minLossRate: judge.audit.minLossRate,
  });
  // Each audit item is judged in both orders.
  rollout.judgeAudited(audit, audit.items * 2);
  if (!audit.passed)
    void notify(ctx, 'phase', 'WARNING', `judge ${audit.identity} failed its audit (${audit.summary}): its verdicts are NO DATA in this rollout`);
}

/** Stops a judge the rollout served for itself. */
export async function stopJudge(ctx: RolloutContext): Promise<void> {
  const judge = ctx.rollout.state.quality?.judge;
  if (!judge?.deploymentId || !judge.host) return;
  await hostCleanup(judge.host).stopModelServer({ deploymentId: judge.deploymentId });
  ctx.rollout.judgeStopped();
}

/**
 * A quality hold is settled by people when the spec names no ratings metric of its own: experts rate
 * a blinded sample of the disagreeing pairs (`gantry pairs export --disagreements`, `gantry ratings
 * import`), and the candidate's answers rated no worse than the stable's (by more than a quarter of
 * a point, over at least 20 ratings) release the hold, while answers rated worse roll it back.
 */
const REVIEW = qualityMetricSchema.parse({ name: 'expert-review', kind: 'ratings', minMean: 1, minN: 20, margin: 0.25 });

export function reviewVerdict(ctx: RolloutContext): MetricVerdict | null {
  const { spec, rollout } = ctx;
  const q = rollout.state.quality;
  if (!spec.quality || !q || q.ratings.candidate.n === 0 || spec.quality.metrics.some((m) => m.kind === 'ratings')) return null;
  return classifyMetric(REVIEW, evidenceOf(q, spec.quality), spec.quality.alpha);
}

/** One interval's quality work; a critical FAIL is a breach. Activity failures are NO DATA, never a failure. */
export async function assessQuality(ctx: RolloutContext, windowEnd: number): Promise<QualityOutcome> {
  const { rollout, spec } = ctx;
  const quality = spec.quality;
  if (!quality || !rollout.state.quality) return { kind: 'none' };
  try {
    await CancellationScope.nonCancellable(async () => {
      await readFloorPrior(ctx);
      await readyJudge(ctx);
      startEvalIfDue(ctx, quality);
      await scoreNewPairs(ctx, quality, windowEnd);
    });
  } catch (error) {
    if (isCancellation(error)) throw error;
    rollout.note(`quality: could not score this interval (${describeFailure(error).message}); its pairs wait for the next`);
  }
  const failure = criticalFailure(reclassify(ctx));
  if (failure) return { kind: 'breach', reason: `quality ${failure.summary}` };
  const review = rollout.state.wait?.kind === 'quality-gate' ? reviewVerdict(ctx) : null;
  return review?.status === 'FAIL' ? { kind: 'breach', reason: `quality hold reviewed: ${review.summary}` } : { kind: 'none' };
}

/**
 * Starts the eval set when it is due, in the background: it takes minutes against busy servers, and
 * the analysis of each interval must not wait for it. Its result lands in the state when it is done.
 */
function startEvalIfDue(ctx: RolloutContext, quality: QualitySpec): void {
  const evalSet = quality.evalSet;
  const last = ctx.rollout.state.quality?.evalFlips?.at;
  if (!evalSet || ctx.inFlight.evalRun !== null || (last !== undefined && Date.now() - last < evalSet.every)) return;
  // Not cancelled by what cancels the pipeline (an operator's rollback mid-interval), only by the
  // rollout's end, which awaits it (see settleEvaluation).
  const scope = new CancellationScope({ cancellable: true });
  ctx.inFlight.evalScope = scope;
  const run = scope.run(() =>
    evalWork.runEvalFlips({
      route: ctx.spec.route,
      rolloutId: ctx.rollout.state.rolloutId,
      suitePath: evalSet.suite,
      maxTokens: evalSet.maxTokens,
      stop: evalSet.stop,
      requestTimeoutMs: evalSet.requestTimeout,
    }),
  );
  ctx.inFlight.evalRun = run
    .then((flips) => ctx.rollout.evalRan({ ...flips, at: Date.now() }))
    .catch((error: unknown) => ctx.rollout.note(`quality: the eval set could not run (${describeFailure(error).message})`))
    .finally(() => {
      ctx.inFlight.evalRun = null;
      ctx.inFlight.evalScope = null;
    });
}

/** Marks the runs that cancel and await their evaluation before they end. */
export const EVAL_SETTLED = 'gantry-eval-settled';

/**
 * Before the rollout ends: an eval set still running is cancelled and awaited, so no activity of a
 * finished rollout is left pending (the Web UI showed one, attempt 1 of 3, after RolledBack).
 */
export async function settleEvaluation(ctx: RolloutContext): Promise<void> {
  const running = ctx.inFlight.evalRun;
  if (!running || !patched(EVAL_SETTLED)) return;
  ctx.inFlight.evalScope?.cancel();
  await running;
}

/** Marks the runs that read the route's noise floor at their start and record theirs at the end. */
export const NOISE_FLOOR = 'gantry-noise-floor';

/** The route's recorded floor, read once, before the first pairs are judged. */
async function readFloorPrior(ctx: RolloutContext): Promise<void> {
  const q = ctx.rollout.state.quality;
  if (!q || q.floorPrior !== undefined || !patched(NOISE_FLOOR)) return;
  try {
    const prior = await qualityWork.readRouteFloor({ route: ctx.spec.route });
    ctx.rollout.floorPriorRead(prior);
    if (prior) ctx.rollout.note(`quality: the route's noise floor starts from ${prior.pairs} A/A pairs recorded by earlier rollouts`);
  } catch (error) {
    if (isCancellation(error)) throw error;
    // No prior is no evidence either way: this rollout's own A/A pairs make the floor.
    ctx.rollout.floorPriorRead(null);
    ctx.rollout.note(`quality: the route's recorded noise floor could not be read (${describeFailure(error).message}); this rollout's own A/A pairs make it`);
  }
}

/** At the end: this rollout's floor joins the route's, for the next rollout to start from. */
export async function recordFloor(ctx: RolloutContext): Promise<void> {
  const q = ctx.rollout.state.quality;
  if (!q || q.floorPrior === undefined || !q.totals.floor || q.totals.floor.pairs === 0) return;
  await qualityWork.recordRouteFloor({ route: ctx.spec.route, rolloutId: ctx.rollout.state.rolloutId, floor: floorOf(q) }).catch((error: unknown) => {
    ctx.rollout.note(`quality: the noise floor could not be recorded for the route (${describeFailure(error).message})`);
  });
}

async function scoreNewPairs(ctx: RolloutContext, quality: QualitySpec, windowEnd: number): Promise<void> {
  const { rollout, spec } = ctx;
  const target = judgeTarget(ctx);
  for (let batch = 0; batch < BATCHES_PER_INTERVAL; batch++) {
    const state = rollout.state.quality;
    if (!state) return;
    const judgeUsable = target !== null && state.judge.audit?.passed === true && quality.judge !== undefined;
    const remaining = quality.judge ? Math.max(0, quality.judge.maxCallsPerHour - state.judge.callsThisHour) : 0;
    const result = await qualityWork.scorePairs({
      route: spec.route,
      rolloutId: rollout.state.rolloutId,
      cursor: state.cursor,
      untilMs: windowEnd,
      limit: quality.maxPairsPerInterval,
      // Scoring never holds an interval up past most of its length: what is left waits for the next one.
      budgetMs: Math.max(5_000, Math.floor(spec.analysis.interval * 0.8)),
      settings: {
        refusalPatterns: quality.refusalPatterns ?? null,
        equivalenceChrF: quality.equivalenceChrF,
        safetyTable: quality.safetyTable ?? null,
        likelihood: likelihoodSettings(quality),
      },
      judge: judgeUsable && quality.judge ? { ...target, sampleRate: quality.judge.sampleRate, maxCalls: remaining } : null,
    });
    rollout.qualityScored(result);
    if (result.scored < quality.maxPairsPerInterval) return;
  }
}

function likelihoodSettings(quality: QualitySpec): { worseBelow: number; timeoutMs: number } | null {
  const metric = quality.metrics.find((m) => m.kind === 'likelihood');
  return metric?.kind === 'likelihood' ? { worseBelow: metric.worseBelow, timeoutMs: 60_000 } : null;
}

/** Whether the eval set is running (its result is evidence about to arrive). */
export const evalRunning = (ctx: RolloutContext): boolean => ctx.inFlight.evalRun !== null;

/**
 * Where a phase ends on evidence (leaving the shadow phase, promotion): every critical metric that
 * applies must PASS. Returns the ones that have not.
 */
export function unsettledAt(ctx: RolloutContext, where: 'shadow' | 'promotion'): MetricVerdict[] {
  const metrics = ctx.spec.quality?.metrics ?? [];
  const applies = (name: string): boolean => {
    const metric = metrics.find((m) => m.name === name);
    if (!metric) return false;
    if (where === 'promotion') return true;
    // Leaving the shadow phase: the canary's own pairs and experts' ratings come later.
    return metric.kind !== 'ratings' && !('source' in metric && metric.source === 'canary');
  };
  return criticalUnsettled(reclassify(ctx).filter((v) => applies(v.name)));
}
