// The verdict of one analysis interval: is the candidate breaching a rollback rule right now?
// Argo's rule applies: a measurement that could not be taken is Error (decided by the caller),
// too few samples is Inconclusive, and only a measured breach is Fail.
import type { RollbackRules } from '../config/spec';
import { check, failedChecks, ms, pct, type Check } from './checks';
import { errorRate, p95, type VariantStats } from './stats';

export type Verdict = 'Pass' | 'Fail' | 'Inconclusive' | 'Error';

export interface IntervalVerdict {
  verdict: Verdict;
  checks: Check[];
  summary: string;
  candidateRequests: number;
  baselineRequests: number;
}

export function judgeInterval(baseline: VariantStats, candidate: VariantStats, rules: RollbackRules): IntervalVerdict {
  const counts = { candidateRequests: candidate.requests, baselineRequests: baseline.requests };
  if (candidate.requests < rules.minRequests) {
    return {
      verdict: 'Inconclusive',
      checks: [],
      summary: `${candidate.requests} candidate requests < ${rules.minRequests} needed to judge`,
      ...counts,
    };
  }
  const candErr = errorRate(candidate) as number;
  const candP95 = p95(candidate);
  const baseErr = baseline.requests >= rules.minRequests ? errorRate(baseline) : undefined;
  const baseP95 = baseline.requests >= rules.minRequests ? p95(baseline) : undefined;
  const checks: Check[] = [];

  if (rules.maxErrorRate !== undefined) {
    const limit = rules.maxErrorRate;
    checks.push(
      check(
        'error rate',
        candErr,
        limit,
        (v) => v <= limit,
        (v) => `candidate error rate ${pct(v)} (max ${pct(limit)})`,
      ),
    );
  }
  if (rules.maxErrorRateRatio !== undefined && baseErr !== undefined) {
    const ratio = rules.maxErrorRateRatio;
    const limit = Math.max(baseErr * ratio, rules.errorRateRatioFloor);
    checks.push(
      check(
        'error rate vs stable',
        candErr,
        limit,
        (v) => v <= limit,
        (v) => `candidate error rate ${pct(v)} vs stable ${pct(baseErr)} (max ${ratio}× or ${pct(rules.errorRateRatioFloor)})`,
      ),
    );
  }
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
  if (rules.maxP95Ratio !== undefined && baseP95 !== undefined) {
    const limit = baseP95 * rules.maxP95Ratio;
    checks.push(
      check(
        'p95 latency vs stable',
        candP95,
        limit,
        (v) => v <= limit,
        (v) => `candidate p95 ${ms(v)} vs stable ${ms(baseP95)} (max ${rules.maxP95Ratio}×)`,
      ),
    );
  }

  const failed = failedChecks(checks);
  if (failed.length > 0) {
    return { verdict: 'Fail', checks, summary: failed.map((c) => c.detail).join('; '), ...counts };
  }
  return { verdict: 'Pass', checks, summary: `${candidate.requests} candidate requests, all checks pass`, ...counts };
}
