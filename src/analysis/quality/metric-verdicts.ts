// Each interval, every quality metric is classified PASS, FAIL, CONTINUE or NO DATA from the
// sufficient statistics alone. Live-pair metrics use anytime-valid e-values (sequential.ts), so
// looking every hour for weeks keeps the false-alarm rate at alpha; the eval-set metric is a fixed
// sample (the same cases each run) and uses an exact test.
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import type { QualityMetric, QualitySpec } from '../../config/quality-spec';
import { binomialUpperTail, confidenceSequence, logEvidenceAbove, logEvidenceBelow, logThreshold } from '../sequential';
import { addPairTotals, emptyLikelihood, type EvalFlips, type JudgeAudit, type PairTotals, type RatingTotals } from './quality-totals';
import { compareToFloor } from './floor-comparison';

export type MetricStatus = 'PASS' | 'FAIL' | 'CONTINUE' | 'NO DATA';

/**
 * What a FAIL does. rollback: at once (a critical metric); hold: where a phase ends, promotion waits
 * for an operator's approve (a metric that is not critical, or answers that differ beyond the floor
 * with nothing to say the differences are not worse); inform: nothing (an informational metric).
 */
export type FailEffect = 'rollback' | 'hold' | 'inform';

export interface MetricVerdict {
  name: string;
  kind: QualityMetric['kind'];
  critical: boolean;
  status: MetricStatus;
  failEffect: FailEffect;
  /** the metric's point estimate (a share, a difference, a mean); null without data */
  estimate: number | null;
  /** its interval: a confidence sequence for live metrics, a confidence interval otherwise */
  interval: [number, number] | null;
  n: number;
  summary: string;
  /** a FAIL because answers differ beyond the floor: a judge of worse that passes explains it */
  differsBeyondFloor?: boolean;
  /** the route's noise floor (the same figure for the stable's own A/A pairs), where the metric has one */
  floor?: number | null;
  /** the value the estimate is judged against (a limit, or the floor with its margin) */
  threshold?: number | null;
}

export interface QualityEvidence {
  shadow: PairTotals;
  canary: PairTotals;
  /** the noise floor: the stable's answers against its own second answers (A/A pairs), this rollout's and the route's earlier ones */
  floor: PairTotals;
  judge: { audit: JudgeAudit | null; available: boolean };
  evalFlips: EvalFlips | null;
  ratings: RatingTotals;
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const range = ([lo, hi]: [number, number], format: (v: number) => string = pct): string => `[${format(lo)}, ${format(hi)}]`;

function totalsFor(metric: { source: 'live' | 'shadow' | 'canary' }, evidence: QualityEvidence): PairTotals {
  if (metric.source === 'shadow') return evidence.shadow;
  if (metric.source === 'canary') return evidence.canary;
  return addPairTotals(evidence.shadow, evidence.canary);
}

const failEffectOf = (metric: QualityMetric): FailEffect => (metric.informational ? 'inform' : metric.critical ? 'rollback' : 'hold');

export function classifyMetric(metric: QualityMetric, evidence: QualityEvidence, alpha: number): MetricVerdict {
  const base = { name: metric.name, kind: metric.kind, critical: metric.critical, failEffect: failEffectOf(metric) };
  const threshold = logThreshold(alpha);
  const verdict = (status: MetricStatus, estimate: number | null, interval: [number, number] | null, n: number, summary: string): MetricVerdict => ({
    ...base,
    status,
    estimate,
    interval,
    n,
    summary: `${metric.name}: ${summary}`,
  });
  switch (metric.kind) {
    case 'failures': {
      const t = totalsFor(metric, evidence);
      if (t.pairs === 0) return verdict('NO DATA', null, null, 0, 'no pairs scored yet');
      const interval = confidenceSequence(t.worse, t.pairs, alpha);
      const what = `candidate-only failures ${t.worse} of ${t.pairs} pairs (${pct(t.worse / t.pairs)} ${range(interval)}; stable-only ${t.better})`;
      if (logEvidenceAbove(t.worse, t.worse + t.better, 0.5) >= threshold)
        return verdict(
          'FAIL',
          t.worse / t.pairs,
          interval,
          t.pairs,
          `${what}: the candidate fails where the stable does not, significantly more often than the reverse`,
        );
      if (t.pairs >= metric.minN && logEvidenceBelow(t.worse, t.pairs, metric.margin) >= threshold)
        return verdict('PASS', t.worse / t.pairs, interval, t.pairs, `${what}, below ${pct(metric.margin)}`);
      return verdict('CONTINUE', t.worse / t.pairs, interval, t.pairs, `${what}; margin ${pct(metric.margin)}, min ${metric.minN} pairs`);
    }
    case 'equivalence':
      return classifyEquivalence(metric, totalsFor(metric, evidence), evidence.floor, alpha, verdict);
    case 'likelihood':
      return classifyLikelihood(metric, totalsFor(metric, evidence), evidence.floor, alpha, verdict);
    case 'judge': {
      const { audit, available } = evidence.judge;
      if (!audit) return verdict('NO DATA', null, null, 0, available ? 'the judge has not been audited yet' : 'no judge available');
      if (!audit.passed) return verdict('NO DATA', null, null, 0, `judge ${audit.identity} failed its audit (${audit.summary}): no verdict is taken from it`);
      const t = totalsFor(metric, evidence).judge;
      const d = t.worse + t.better;
      const who = `judge ${audit.identity}`;
      if (d === 0)
        return verdict(t.judged === 0 ? 'NO DATA' : 'CONTINUE', null, null, 0, `no non-tie judgment yet (${t.judged} judged, ${t.ties} ties; ${who})`);
      const interval = confidenceSequence(t.worse, d, alpha);
      const what = `candidate lost ${t.worse} of ${d} non-tie judgments (${pct(t.worse / d)} ${range(interval)}; ${t.ties} ties; ${who})`;
      if (logEvidenceAbove(t.worse, d, 0.5 + metric.harmMargin) >= threshold)
        return verdict('FAIL', t.worse / d, interval, d, `${what}: significantly more than ${pct(0.5 + metric.harmMargin)}`);
      if (d >= metric.minN && logEvidenceBelow(t.worse, d, 0.5 + metric.margin) >= threshold)
        return verdict('PASS', t.worse / d, interval, d, `${what}, below ${pct(0.5 + metric.margin)}`);
      return verdict('CONTINUE', t.worse / d, interval, d, `${what}; margin ${pct(metric.margin)}, min ${metric.minN}`);
    }
    case 'safety': {
      const s = totalsFor(metric, evidence).safety;
      if (s.answers === 0) return verdict('NO DATA', null, null, 0, 'no answers checked yet');
      const interval = confidenceSequence(s.candidateFailures, s.answers, alpha);
      const what = `candidate safety failures ${s.candidateFailures} of ${s.answers} answers (${pct(s.candidateFailures / s.answers)} ${range(interval)}; stable ${s.stableFailures})`;
      if (logEvidenceAbove(s.candidateFailures, s.answers, metric.maxRate) >= threshold)
        return verdict('FAIL', s.candidateFailures / s.answers, interval, s.answers, `${what}: above ${pct(metric.maxRate)}`);
      if (logEvidenceAbove(s.worse, s.worse + s.better, 0.5) >= threshold)
        return verdict('FAIL', s.candidateFailures / s.answers, interval, s.answers, `${what}: more than the stable's, significantly`);
      if (s.answers >= metric.minN && logEvidenceBelow(s.candidateFailures, s.answers, metric.maxRate) >= threshold)
        return verdict('PASS', s.candidateFailures / s.answers, interval, s.answers, `${what}, below ${pct(metric.maxRate)}`);
      return verdict('CONTINUE', s.candidateFailures / s.answers, interval, s.answers, `${what}; max ${pct(metric.maxRate)}, min ${metric.minN}`);
    }
    case 'eval-flips':
      return classifyEvalFlips(metric, evidence.evalFlips, alpha, verdict);
    case 'ratings':
      return classifyRatings(metric, evidence.ratings, alpha, verdict);
  }
}

type Verdict = (status: MetricStatus, estimate: number | null, interval: [number, number] | null, n: number, summary: string) => MetricVerdict;

const points = (v: number): string => `${(v * 100).toFixed(1)}`;

function classifyEquivalence(
  metric: Extract<QualityMetric, { kind: 'equivalence' }>,
  t: PairTotals,
  floor: PairTotals,
  alpha: number,
  verdict: Verdict,
): MetricVerdict {
  if (t.pairs === 0) return verdict('NO DATA', null, null, 0, 'no pairs scored yet');
  const share = t.equivalent / t.pairs;
  const cmp = compareToFloor({ k: t.equivalent, n: t.pairs }, { k: floor.equivalent, n: floor.pairs }, alpha, metric.margin, 'higher');
  const floorText =
    floor.pairs === 0
      ? 'no floor yet (no A/A pairs)'
      : `floor ${pct(floor.equivalent / floor.pairs)} ${range(cmp.floor)} over ${floor.pairs} A/A pairs, margin ${points(metric.margin)} points`;
  const floorShare = floor.pairs === 0 ? null : floor.equivalent / floor.pairs;
  const mark = (v: MetricVerdict): MetricVerdict => ({
    ...v,
    floor: floorShare,
    threshold: floorShare === null ? null : Math.max(0, floorShare - metric.margin),
  });
  const what = `${t.equivalent} of ${t.pairs} answers equivalent or better (${pct(share)} ${range(cmp.candidate)}); ${floorText}${
    metric.minShare !== undefined ? `; min ${pct(metric.minShare)}` : ''
  }`;
  const threshold = logThreshold(alpha);
  if (metric.minShare !== undefined && logEvidenceBelow(t.equivalent, t.pairs, metric.minShare) >= threshold)
    return mark(verdict('FAIL', share, cmp.candidate, t.pairs, `${what}: significantly below ${pct(metric.minShare)}`));
  if (cmp.status === 'beyond')
    // Different is not worse: only a judge of worse can say which. Until one does, this holds, never rolls back.
    return mark({
      ...verdict('FAIL', share, cmp.candidate, t.pairs, `${what}: differs beyond the floor`),
      failEffect: metric.informational ? 'inform' : 'hold',
      differsBeyondFloor: true,
    });
  const absoluteMet = metric.minShare === undefined || logEvidenceAbove(t.equivalent, t.pairs, metric.minShare) >= threshold;
  if (t.pairs >= metric.minN && cmp.status === 'within' && absoluteMet)
    return mark(verdict('PASS', share, cmp.candidate, t.pairs, `${what}: within the floor's margin`));
  return mark(verdict('CONTINUE', share, cmp.candidate, t.pairs, `${what}, min ${metric.minN} pairs`));
}

function classifyLikelihood(
  metric: Extract<QualityMetric, { kind: 'likelihood' }>,
  t: PairTotals,
  floor: PairTotals,
  alpha: number,
  verdict: Verdict,
): MetricVerdict {
  const l = t.likelihood ?? emptyLikelihood();
  const f = floor.likelihood ?? emptyLikelihood();
  if (l.scored === 0)
    return verdict(
      'NO DATA',
      null,
      null,
      0,
      l.failed > 0 ? `the reference could not score ${l.failed} pairs (${l.lastError ?? 'no reason given'})` : 'no pairs scored yet',
    );
  const share = l.worse / l.scored;
  const cmp = compareToFloor({ k: l.worse, n: l.scored }, { k: f.worse, n: f.scored }, alpha, metric.margin, 'lower');
  const floorText =
    f.scored === 0
      ? 'no floor yet (no A/A pairs)'
      : `floor ${pct(f.worse / f.scored)} ${range(cmp.floor)} over ${f.scored} A/A pairs, margin ${points(metric.margin)} points`;
  const what = `candidate answers the stable finds much less likely, or owing much less to the question (below −${metric.worseBelow} nats/token) ${l.worse} of ${l.scored} pairs (${pct(share)} ${range(
    cmp.candidate,
  )}; mean difference ${(l.deltaSum / l.scored).toFixed(2)} nats/token); ${floorText}${l.failed ? `; ${l.failed} not scored` : ''}`;
  const floorShare = f.scored === 0 ? null : f.worse / f.scored;
  const mark = (v: MetricVerdict): MetricVerdict => ({ ...v, floor: floorShare, threshold: Math.min(1, (floorShare ?? 0) + metric.margin) });
  if (cmp.status === 'beyond') return mark(verdict('FAIL', share, cmp.candidate, l.scored, `${what}: significantly more than the floor allows`));
  if (l.scored >= metric.minN && cmp.status === 'within') return mark(verdict('PASS', share, cmp.candidate, l.scored, `${what}: within the floor's margin`));
  return mark(verdict('CONTINUE', share, cmp.candidate, l.scored, `${what}, min ${metric.minN} pairs`));
}

function classifyEvalFlips(metric: Extract<QualityMetric, { kind: 'eval-flips' }>, flips: EvalFlips | null, alpha: number, verdict: Verdict): MetricVerdict {
  if (!flips || flips.cases === 0) return verdict('NO DATA', null, null, 0, 'the eval set has not run yet');
  const n = flips.cases;
  const delta = (flips.candidateCorrect - flips.stableCorrect) / n;
  // Paired difference of accuracies: its variance comes from the discordant cases only.
  const discordant = flips.rightToWrong + flips.wrongToRight;
  const se = Math.sqrt(Math.max(0, discordant / n - delta * delta) / n);
  const z = normalQuantile(1 - alpha / 2, 0, 1);
  const interval: [number, number] = [delta - z * se, delta + z * se];
  const pValue = binomialUpperTail(flips.rightToWrong, discordant, 0.5);
  const what = `accuracy ${pct(flips.candidateCorrect / n)} vs stable ${pct(flips.stableCorrect / n)} (difference ${(delta * 100).toFixed(1)} points ${range(interval, (v) => `${(v * 100).toFixed(1)}`)}) over ${n} cases; flips right→wrong ${flips.rightToWrong}, wrong→right ${flips.wrongToRight} (exact sign test p=${pValue.toFixed(3)})`;
  if (discordant > 0 && pValue < alpha) return verdict('FAIL', delta, interval, n, `${what}: significantly more regressions`);
  if (metric.maxRegressions !== undefined && flips.rightToWrong > metric.maxRegressions)
    return verdict('FAIL', delta, interval, n, `${what}: more than ${metric.maxRegressions} regressions`);
  if (metric.minAccuracyDelta !== undefined && n >= metric.minN && delta < metric.minAccuracyDelta) {
    return verdict('FAIL', delta, interval, n, `${what}: below the required ${(metric.minAccuracyDelta * 100).toFixed(1)} points`);
  }
  if (n >= metric.minN) return verdict('PASS', delta, interval, n, what);
  return verdict('CONTINUE', delta, interval, n, `${what}; min ${metric.minN} cases`);
}

function classifyRatings(metric: Extract<QualityMetric, { kind: 'ratings' }>, ratings: RatingTotals, alpha: number, verdict: Verdict): MetricVerdict {
  const c = ratings.candidate;
  if (c.n === 0) return verdict('NO DATA', null, null, 0, 'no expert ratings imported yet');
  const mean = (r: { n: number; sum: number }): number => r.sum / r.n;
  const variance = (r: { n: number; sum: number; sumSquares: number }): number => (r.n < 2 ? 0 : (r.sumSquares - (r.sum * r.sum) / r.n) / (r.n - 1));
  const z = normalQuantile(1 - alpha, 0, 1);
  const cMean = mean(c);
  const cHalf = z * Math.sqrt(variance(c) / c.n);
  const interval: [number, number] = [cMean - cHalf, cMean + cHalf];
  const s = ratings.stable;
  let comparison = '';
  let worseThanStable = false;
  let notWorse = true;
  if (s.n >= 2 && c.n >= 2) {
    const diff = cMean - mean(s);
    const se = Math.sqrt(variance(c) / c.n + variance(s) / s.n);
    comparison = `; vs stable ${mean(s).toFixed(2)} over ${s.n} (difference ${diff.toFixed(2)} ± ${(z * se).toFixed(2)})`;
    worseThanStable = diff + z * se < -metric.margin;
    notWorse = diff - z * se >= -metric.margin;
  }
  const what = `candidate mean rating ${cMean.toFixed(2)} [${interval[0].toFixed(2)}, ${interval[1].toFixed(2)}] over ${c.n} answers${comparison}; min ${metric.minMean.toFixed(1)}`;
  if (c.n >= metric.minN && (cMean < metric.minMean || worseThanStable))
    return verdict('FAIL', cMean, interval, c.n, `${what}: ${worseThanStable ? 'worse than the stable' : 'below the minimum'}`);
  if (c.n >= metric.minN && notWorse) return verdict('PASS', cMean, interval, c.n, what);
  return verdict('CONTINUE', cMean, interval, c.n, `${what}; min ${metric.minN} ratings`);
}

/** Metrics that say whether differing answers are worse, not only different. */
const JUDGES_OF_WORSE: readonly QualityMetric['kind'][] = ['likelihood', 'judge'];

export function classifyQuality(spec: QualitySpec, evidence: QualityEvidence): MetricVerdict[] {
  const verdicts = spec.metrics.map((metric) => classifyMetric(metric, evidence, spec.alpha));
  // Differences — beyond the floor, or not yet known to be within it — are explained when a judge of
  // worse passes: the answers differ, and are shown not to be worse. An absolute bar (minShare) that
  // fails is the team's own rule and stays failed.
  const explainer = verdicts.find((v) => JUDGES_OF_WORSE.includes(v.kind) && v.status === 'PASS' && v.failEffect !== 'inform');
  return verdicts.map((v) => {
    const unexplained = v.kind === 'equivalence' && (v.differsBeyondFloor === true || v.status === 'CONTINUE');
    if (!unexplained || !explainer) return v;
    return {
      ...v,
      status: 'PASS',
      failEffect: v.failEffect === 'hold' ? failEffectOf(metricNamed(spec, v.name)) : v.failEffect,
      differsBeyondFloor: undefined,
      summary: `${v.summary}, explained: ${explainer.name} passes`,
    };
  });
}

function metricNamed(spec: QualitySpec, name: string): QualityMetric {
  const metric = spec.metrics.find((m) => m.name === name);
  if (!metric) throw new Error(`no quality metric named ${name}`);
  return metric;
}

/** The first FAIL that rolls back, if any: it rolls the rollout back at once. */
export function criticalFailure(verdicts: readonly MetricVerdict[]): MetricVerdict | undefined {
  return verdicts.find((v) => v.status === 'FAIL' && v.failEffect === 'rollback');
}

/**
 * What keeps a phase from ending on evidence: critical metrics that have not passed (CONTINUE or
 * NO DATA), and FAILs that hold (a metric that is not critical, differences beyond the floor).
 */
export function criticalUnsettled(verdicts: readonly MetricVerdict[]): MetricVerdict[] {
  return verdicts.filter((v) => (v.critical && v.status !== 'PASS' && v.failEffect !== 'inform') || (v.status === 'FAIL' && v.failEffect === 'hold'));
}
