// The verdict of one analysis interval: is the candidate breaching a rollback rule right now?
// Argo's rule applies: a measurement that could not be taken is Error (decided by the caller), a
// sick baseline is Error too, too few samples is Inconclusive, and only a measured breach is Fail.
import type { CostSpec, RollbackRuleName, RollbackRules } from '../config/spec';
import { absoluteAnswerChecks, relativeAnswerChecks, type RuleCheck } from './answer-checks';
import type { BaselineHealth } from './baseline-health';
import { check, failedChecks, ms, pct, type Check } from './checks';
import { errorRate, p95, type VariantStats } from './stats';

export type Verdict = 'Pass' | 'Fail' | 'Inconclusive' | 'Error';

export interface IntervalVerdict {
  verdict: Verdict;
  checks: Check[];
  summary: string;
  candidateRequests: number;
  baselineRequests: number;
  /** false when the stable was too sick to compare with; absent where it was not judged */
  baselineHealthy?: boolean;
  /** failing warning-severity rules: notified, never a Fail */
  warnings?: string[];
  /** a failing emergency-severity rule: roll back at once, whatever failureLimit says */
  emergency?: boolean;
}

/**
 * Judges the candidate against the stable. With `baseline` given and unhealthy, no comparison with
 * the stable is made: the window is an Error, unless the candidate breaches an absolute rule on
 * its own, which is a Fail whatever the stable does.
 */
export function judgeInterval(
  stable: VariantStats,
  candidate: VariantStats,
  rules: RollbackRules,
  baseline?: BaselineHealth,
  cost?: CostSpec,
): IntervalVerdict {
  const counts = { candidateRequests: candidate.requests, baselineRequests: stable.requests, ...(baseline ? { baselineHealthy: baseline.healthy } : {}) };
  const sickBaseline = baseline !== undefined && !baseline.healthy;
  const enough = candidate.requests >= rules.minRequests;
  const checks: Check[] = enough
    ? [
        ...absoluteChecks(candidate, rules),
        ...absoluteAnswerChecks(candidate, rules).map(withRule),
        ...(sickBaseline ? [] : [...relativeChecks(stable, candidate, rules), ...comparedAnswers(stable, candidate, rules, cost)]),
      ]
    : [];
  const severe = withSeverities(checks, rules);
  const failed = failedChecks(severe);
  const warned = failed.filter((c) => c.severity === 'warning').map((c) => `${c.detail} (severity warning)`);
  const acting = failed.filter((c) => c.severity !== 'warning');
  const flags = { ...(warned.length ? { warnings: warned } : {}), ...(acting.some((c) => c.severity === 'emergency') ? { emergency: true } : {}) };
  if (acting.length > 0) {
    const summary = acting.map((c) => `${c.detail}${c.severity === 'emergency' ? ' (severity emergency)' : ''}`).join('; ');
    return { verdict: 'Fail', checks: severe, summary, ...counts, ...flags };
  }
  if (sickBaseline) {
    return { verdict: 'Error', checks: severe, summary: `baseline unhealthy: ${baseline.reason}; the candidate is not compared with it`, ...counts, ...flags };
  }
  if (!enough) {
    return { verdict: 'Inconclusive', checks: severe, summary: `${candidate.requests} candidate requests < ${rules.minRequests} needed to judge`, ...counts };
  }
  const passed = warned.length ? `no rule that acts failed; warning: ${warned.join('; ')}` : 'all checks pass';
  return { verdict: 'Pass', checks: severe, summary: `${candidate.requests} candidate requests, ${passed}`, ...counts, ...flags };
}

/** Each built-in check marked with its rule's severity where the spec gives one other than critical. */
function withSeverities(checks: Check[], rules: RollbackRules): Check[] {
  const given = rules.severity as RollbackRules['severity'] | undefined; // absent in specs from before severities
  return checks.map((c) => {
    const severity = c.rule ? given?.[c.rule] : undefined;
    return severity === 'warning' || severity === 'emergency' ? { ...c, severity } : c;
  });
}

const forRule = (rule: RollbackRuleName, c: Check): Check => ({ ...c, rule });
const withRule = ({ rule, check }: RuleCheck): Check => forRule(rule, check);

/** The answers against the stable's, when the stable has enough requests of its own to be compared with. */
function comparedAnswers(stable: VariantStats, candidate: VariantStats, rules: RollbackRules, cost: CostSpec | undefined): Check[] {
  return stable.requests < rules.minRequests ? [] : relativeAnswerChecks(stable, candidate, rules, cost, 'skip').map(withRule);
}

function absoluteChecks(candidate: VariantStats, rules: RollbackRules): Check[] {
  const checks: Check[] = [];
  const candErr = errorRate(candidate) as number;
  if (rules.maxErrorRate !== undefined) {
    const limit = rules.maxErrorRate;
    checks.push(
      forRule(
        'maxErrorRate',
        check(
          'error rate',
          candErr,
          limit,
          (v) => v <= limit,
          (v) => `candidate error rate ${pct(v)} (max ${pct(limit)})`,
        ),
      ),
    );
  }
  if (rules.maxP95Ms !== undefined) {
    const limit = rules.maxP95Ms;
    checks.push(
      forRule(
        'maxP95Ms',
        check(
          'p95 latency',
          p95(candidate),
          limit,
          (v) => v <= limit,
          (v) => `candidate p95 ${ms(v)} (max ${ms(limit)})`,
        ),
      ),
    );
  }
  return checks;
}

/** Comparisons with the stable, when it has enough requests of its own to be compared with. */
function relativeChecks(stable: VariantStats, candidate: VariantStats, rules: RollbackRules): Check[] {
  if (stable.requests < rules.minRequests) return [];
  const checks: Check[] = [];
  const candErr = errorRate(candidate) as number;
  const baseErr = errorRate(stable) as number;
  if (rules.maxErrorRateRatio !== undefined) {
    const ratio = rules.maxErrorRateRatio;
    const limit = Math.max(baseErr * ratio, rules.errorRateRatioFloor);
    checks.push(
      forRule(
        'maxErrorRateRatio',
        check(
          'error rate vs stable',
          candErr,
          limit,
          (v) => v <= limit,
          (v) => `candidate error rate ${pct(v)} vs stable ${pct(baseErr)} (max ${ratio}× or ${pct(rules.errorRateRatioFloor)})`,
        ),
      ),
    );
  }
  const baseP95 = p95(stable);
  if (rules.maxP95Ratio !== undefined && baseP95 !== undefined) {
    const limit = baseP95 * rules.maxP95Ratio;
    checks.push(
      forRule(
        'maxP95Ratio',
        check(
          'p95 latency vs stable',
          p95(candidate),
          limit,
          (v) => v <= limit,
          (v) => `candidate p95 ${ms(v)} vs stable ${ms(baseP95)} (max ${rules.maxP95Ratio}×)`,
        ),
      ),
    );
  }
  return checks;
}
