// The evaluation at the end of the canary: promote only if every rule holds over the whole canary.
import type { CostSpec, PromoteRules } from '../config/spec';
import { absoluteAnswerChecks, relativeAnswerChecks } from './answer-checks';
import { check, failedChecks, ms, pct, type Check } from './checks';
import { errorRate, errorRateWorsePValue, p95, type VariantStats } from './stats';
import { classifyShift, latencyShift } from './mann-whitney';

export interface PromotionDecision {
  promote: boolean;
  checks: Check[];
  reasons: string[];
}

/** The checks that only count evidence: failing them means "not enough data yet", not "worse". */
const SAMPLE_CHECKS: ReadonlySet<string> = new Set(['candidate samples', 'stable samples']);

/**
 * Promote, Fail or Inconclusive. A decision refused only for want of evidence (too few samples, a
 * rule with no data) is Inconclusive: the candidate was never measured worse, so it must not be
 * rolled back for it (a metric outage over the whole canary leaves exactly this).
 */
export function evidenceOf(decision: { promote: boolean; checks: readonly Pick<Check, 'name' | 'ok'>[] }): 'promote' | 'fail' | 'inconclusive' {
  if (decision.promote) return 'promote';
  const measuredWorse = decision.checks.some((c) => c.ok === false && !SAMPLE_CHECKS.has(c.name));
  return measuredWorse ? 'fail' : 'inconclusive';
}

/** `cost`: the variants' prices, for a cost-per-request rule. */
export function decidePromotion(stable: VariantStats, candidate: VariantStats, rules: PromoteRules, cost?: CostSpec): PromotionDecision {
  const checks: Check[] = [];
  const min = rules.minSamples;
  checks.push(
    check(
      'candidate samples',
      candidate.requests,
      min,
      (v) => v >= min,
      (v) => `${v} candidate samples (min ${min})`,
    ),
  );
  checks.push(
    check(
      'stable samples',
      stable.requests,
      min,
      (v) => v >= min,
      (v) => `${v} stable samples (min ${min})`,
    ),
  );

  const candErr = errorRate(candidate);
  const stableErr = errorRate(stable);
  if (stableErr !== undefined) {
    const limit = stableErr + rules.maxErrorRateIncrease;
    checks.push(
      check(
        'error rate vs stable',
        candErr,
        limit,
        (v) => v <= limit,
        (v) => `candidate error rate ${pct(v)} vs stable ${pct(stableErr)} (max +${pct(rules.maxErrorRateIncrease)})`,
      ),
    );
  }
  const pWorse = errorRateWorsePValue(stable, candidate);
  const alpha = rules.significance;
  checks.push(
    check(
      'error rate not significantly worse',
      pWorse,
      alpha,
      (v) => v >= alpha,
      (v) => `p=${v.toFixed(3)} that the candidate errs more than stable (fail below ${alpha})`,
    ),
  );
  if (rules.minSuccessRate !== undefined) {
    const limit = rules.minSuccessRate;
    checks.push(
      check(
        'success rate',
        candErr === undefined ? undefined : 1 - candErr,
        limit,
        (v) => v >= limit,
        (v) => `candidate success rate ${pct(v)} (min ${pct(limit)})`,
      ),
    );
  }
  const candP95 = p95(candidate);
  const stableP95 = p95(stable);
  if (rules.maxP95Ms !== undefined) {
    const limit = rules.maxP95Ms;
    checks.push(
      check(
        'p95 latency',
        candP95,
        limit,
        (v) => v <= limit,
        (v) => `candidate p95 ${ms(v)} (max ${ms(limit)})`,
      ),
    );
  }
  if (rules.maxP95IncreaseMs !== undefined && stableP95 !== undefined) {
    const increase = rules.maxP95IncreaseMs;
    const limit = stableP95 + increase;
    checks.push(
      check(
        'p95 vs stable',
        candP95,
        limit,
        (v) => v <= limit,
        (v) => `candidate p95 ${ms(v)} vs stable ${ms(stableP95)} (max +${ms(increase)})`,
      ),
    );
  }
  if (rules.maxP95Ratio !== undefined && stableP95 !== undefined) {
    const limit = stableP95 * rules.maxP95Ratio;
    checks.push(
      check(
        'p95 ratio vs stable',
        candP95,
        limit,
        (v) => v <= limit,
        (v) => `candidate p95 ${ms(v)} vs stable ${ms(stableP95)} (max ${rules.maxP95Ratio}×)`,
      ),
    );
  }

  if (rules.latencyShift) {
    const { confidence, tolerance, allowedIncrease } = rules.latencyShift;
    const estimate = latencyShift(stable.latency, candidate.latency, confidence);
    const shiftClass = estimate ? classifyShift(estimate, tolerance, allowedIncrease) : undefined;
    checks.push(
      estimate === undefined
        ? { name: 'latency shift', value: null, threshold: 0, ok: null, detail: 'latency shift: no data' }
        : {
            name: 'latency shift',
            value: estimate.shiftMs,
            threshold: tolerance,
            ok: shiftClass !== 'High',
            detail: `candidate latency shift ${estimate.shiftMs >= 0 ? '+' : ''}${ms(estimate.shiftMs)} [${ms(estimate.interval[0])}, ${ms(estimate.interval[1])}] (${Math.round(confidence * 100)}%, Mann-Whitney p=${estimate.pValue.toFixed(3)}, mean ratio ${estimate.meanRatio.toFixed(2)}): ${shiftClass}`,
          },
    );
  }

  // Time to first token, tokens/s, tokens and cost per request over the whole canary. A rule whose
  // figure is missing on either side (no streamed answers, no token counts) is unjudged, and blocks.
  const answers = [...absoluteAnswerChecks(candidate, rules), ...relativeAnswerChecks(stable, candidate, rules, cost, 'no data')];
  checks.push(...answers.map(({ check: c }) => c));

  // A rule that could not be judged blocks promotion: promoting on missing evidence is not safe.
  const blocking = checks.filter((c) => c.ok !== true);
  return {
    promote: blocking.length === 0,
    checks,
    reasons: blocking.length === 0 ? checks.map((c) => c.detail) : [...failedChecks(checks), ...checks.filter((c) => c.ok === null)].map((c) => c.detail),
  };
}
