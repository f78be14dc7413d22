// QA gate: scoring eval answers and judging the suite. Pure; the activity does the requests. The
// gate judges the file that ships, side by side with the stable when there is one: both accuracies,
// their paired difference with its interval, the flips (right→wrong, wrong→right) with an exact sign
// test, and the suite's weighted 0–100 score in bands: excellent, approve (with extra monitoring),
// review (an operator approves), block.
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import type { QaGate } from '../config/spec';
import { check, failedChecks, ms, pct, type Check } from './checks';
import { emptyHistogram, quantile, record } from './histogram';
import { binomialUpperTail } from './sequential';
import { compileRefusalPatterns, DEFAULT_REFUSAL_PATTERNS, isRefusal } from './quality/refusals';
import type { EvalCase, EvalSuite } from './eval-suite';

export type { EvalCase, Scorer } from './eval-suite';

export interface EvalOutcome {
  id: string;
  passed: boolean;
  latencyMs: number;
  answer?: string;
  error?: string;
}

export interface VariantResult {
  cases: number;
  passed: number;
  errors: number;
  accuracy: number;
  errorRate: number;
  p95Ms: number | null;
}

export type QaBand = 'excellent' | 'approve' | 'review' | 'block';

export interface CategoryScore {
  category: string;
  weight: number;
  cases: number;
  accuracy: number;
}

export interface QaReport extends VariantResult {
  checks: Check[];
  /** every rule holds and the score is not in the block band */
  passedGate: boolean;
  summary: string;
  failures: EvalOutcome[];
  /** the stable on the same cases and decoding; null when there was none to compare with */
  stable?: VariantResult | null;
  flips?: { rightToWrong: number; wrongToRight: number; pValue: number } | null;
  accuracyDelta?: { estimate: number; interval: [number, number] } | null;
  score?: { value: number; band: QaBand; categories: CategoryScore[] };
  /** what the gate decided: go on, an operator must approve, or stop */
  decision?: 'pass' | 'review' | 'block';
  /** the approve band: the next phase is analysed twice as often */
  extraMonitoring?: boolean;
  /** the file the gate tested: the artifact that ships */
  target?: string | null;
}

const normalise = (text: string): string => text.trim().toLowerCase().replace(/\s+/g, ' ');
const refusals = compileRefusalPatterns(DEFAULT_REFUSAL_PATTERNS);

export function scoreAnswer(evalCase: Pick<EvalCase, 'expected' | 'scorer'>, answer: string): boolean {
  switch (evalCase.scorer) {
    case 'exact':
      return normalise(answer) === normalise(evalCase.expected);
    case 'contains':
      return normalise(answer).includes(normalise(evalCase.expected));
    case 'regex':
      return new RegExp(evalCase.expected, 'i').test(answer);
    case 'refusal':
      return isRefusal(answer, refusals);
  }
}

function resultOf(cases: readonly EvalCase[], outcomes: readonly EvalOutcome[]): VariantResult & { latency: number | undefined } {
  const weightOf = new Map(cases.map((c) => [c.id, c.weight]));
  const totalWeight = outcomes.reduce((sum, o) => sum + (weightOf.get(o.id) ?? 1), 0);
  const passedWeight = outcomes.filter((o) => o.passed).reduce((sum, o) => sum + (weightOf.get(o.id) ?? 1), 0);
  const errors = outcomes.filter((o) => o.error !== undefined).length;
  const latency = emptyHistogram();
  for (const o of outcomes) if (o.error === undefined) record(latency, o.latencyMs);
  const p95 = quantile(latency, 0.95);
  return {
    cases: outcomes.length,
    passed: outcomes.filter((o) => o.passed).length,
    errors,
    accuracy: totalWeight === 0 ? 0 : passedWeight / totalWeight,
    errorRate: outcomes.length === 0 ? 1 : errors / outcomes.length,
    p95Ms: p95 ?? null,
    latency: p95,
  };
}

/** The suite's weighted score: each category's (case-weighted) accuracy, weighed by the category's weight. */
export function weightedScore(suite: EvalSuite, outcomes: readonly EvalOutcome[]): { value: number; categories: CategoryScore[] } {
  const passed = new Map(outcomes.map((o) => [o.id, o.passed]));
  const byCategory = new Map<string, EvalCase[]>();
  for (const c of suite.cases) byCategory.set(c.category ?? '(none)', [...(byCategory.get(c.category ?? '(none)') ?? []), c]);
  const categories: CategoryScore[] = [...byCategory].map(([category, cases]) => {
    const total = cases.reduce((s, c) => s + c.weight, 0);
    const right = cases.filter((c) => passed.get(c.id)).reduce((s, c) => s + c.weight, 0);
    return {
      category,
      weight: suite.categoryWeights ? (suite.categoryWeights[category] ?? 0) : total,
      cases: cases.length,
      accuracy: total === 0 ? 0 : right / total,
    };
  });
  const weight = categories.reduce((s, c) => s + c.weight, 0);
  return { value: weight === 0 ? 0 : (100 * categories.reduce((s, c) => s + c.weight * c.accuracy, 0)) / weight, categories };
}

export function bandOf(score: number, bands: QaGate['bands']): QaBand {
  if (score >= bands.excellent) return 'excellent';
  if (score >= bands.approve) return 'approve';
  if (score >= bands.review) return 'review';
  return 'block';
}

/**
 * Judges the candidate's answers, beside the stable's on the same cases when given. Every rule
 * must hold and the score must not be in the block band for the gate to pass; the review band
 * passes only with an operator's approval.
 */
export function judgeQa(
  suite: EvalSuite,
  outcomes: readonly EvalOutcome[],
  gate: QaGate,
  stableOutcomes: readonly EvalOutcome[] | null = null,
  target: string | null = null,
): QaReport {
  const { cases } = suite;
  const candidate = resultOf(cases, outcomes);
  const checks: Check[] = [
    check(
      'accuracy',
      candidate.accuracy,
      gate.minAccuracy,
      (v) => v >= gate.minAccuracy,
      (v) => `accuracy ${pct(v)} (min ${pct(gate.minAccuracy)})`,
    ),
    check(
      'error rate',
      candidate.errorRate,
      gate.maxErrorRate,
      (v) => v <= gate.maxErrorRate,
      (v) => `error rate ${pct(v)} (max ${pct(gate.maxErrorRate)})`,
    ),
  ];
  if (gate.maxP95Ms !== undefined) {
    const limit = gate.maxP95Ms;
    checks.push(
      check(
        'p95 latency',
        candidate.latency,
        limit,
        (v) => v <= limit,
        (v) => `p95 ${ms(v)} (max ${ms(limit)})`,
      ),
    );
  }

  let stable: VariantResult | null = null;
  let flips: QaReport['flips'] = null;
  let accuracyDelta: QaReport['accuracyDelta'] = null;
  if (stableOutcomes) {
    const { latency: _unused, ...stableResult } = resultOf(cases, stableOutcomes);
    stable = stableResult;
    const stableRight = new Map(stableOutcomes.map((o) => [o.id, o.passed]));
    let rightToWrong = 0;
    let wrongToRight = 0;
    for (const o of outcomes) {
      const was = stableRight.get(o.id) ?? false;
      if (was && !o.passed) rightToWrong += 1;
      if (!was && o.passed) wrongToRight += 1;
    }
    const pValue = binomialUpperTail(rightToWrong, rightToWrong + wrongToRight, 0.5);
    flips = { rightToWrong, wrongToRight, pValue };
    const n = outcomes.length;
    const estimate = candidate.accuracy - stable.accuracy;
    const rawDelta = (wrongToRight - rightToWrong) / n;
    const se = Math.sqrt(Math.max(0, (rightToWrong + wrongToRight) / n - rawDelta * rawDelta) / n);
    const z = normalQuantile(1 - gate.significance / 2, 0, 1);
    accuracyDelta = { estimate, interval: [estimate - z * se, estimate + z * se] };
    const significance = gate.significance;
    checks.push(
      check(
        'flips',
        pValue,
        significance,
        (v) => rightToWrong + wrongToRight === 0 || v >= significance,
        (v) => `flips right→wrong ${rightToWrong}, wrong→right ${wrongToRight} vs stable (exact sign test p=${v.toFixed(3)}; fail below ${significance})`,
      ),
    );
    if (gate.maxAccuracyDrop !== undefined) {
      const maxDrop = gate.maxAccuracyDrop;
      const describe = maxDrop < 0 ? `at least +${(-maxDrop * 100).toFixed(1)} points` : `a drop of at most ${(maxDrop * 100).toFixed(1)} points`;
      checks.push(
        check(
          'accuracy vs stable',
          estimate,
          -maxDrop,
          (v) => v >= -maxDrop,
          (v) =>
            `accuracy ${pct(candidate.accuracy)} vs stable ${pct(stableResult.accuracy)} (${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} points; ${describe})`,
        ),
      );
    }
    if (gate.maxRegressions !== undefined) {
      const limit = gate.maxRegressions;
      checks.push(
        check(
          'regressions',
          rightToWrong,
          limit,
          (v) => v <= limit,
          (v) => `${v} right→wrong regressions (max ${limit})`,
        ),
      );
    }
  }

  const scored = weightedScore(suite, outcomes);
  const band = bandOf(scored.value, gate.bands);
  const failed = failedChecks(checks);
  const rulesHold = failed.length === 0 && checks.every((c) => c.ok === true);
  const decision = !rulesHold || band === 'block' ? 'block' : band === 'review' ? 'review' : 'pass';
  const scoreText = `score ${scored.value.toFixed(1)} (${band}${band === 'block' ? `, below ${gate.bands.review}` : ''})`;
  const reasons = rulesHold
    ? [...checks.map((c) => c.detail), scoreText]
    : [...(failed.length ? failed : checks.filter((c) => c.ok !== true)).map((c) => c.detail), scoreText];
  const { latency: _latency, ...candidateResult } = candidate;
  return {
    ...candidateResult,
    checks,
    passedGate: decision !== 'block',
    summary: reasons.join('; '),
    failures: outcomes.filter((o) => !o.passed).slice(0, 20),
    stable,
    flips,
    accuracyDelta,
    score: { value: scored.value, band, categories: scored.categories },
    decision,
    extraMonitoring: band === 'approve',
    target,
  };
}
