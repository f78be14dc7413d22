// The rules on an LLM's answers — time to first token, output tokens per second, tokens per request
// and cost per request, on their own and against the stable — as checks. One implementation for
// both places that judge them: every analysis interval (rollback rules) and the evaluation of the
// whole canary (promotion rules), so a figure means the same in each.
import type { CostSpec } from '../config/spec';
import { costPerRequest, money, rate, tokensPerRequest, tokensPerSecond, ttftP95 } from './answer-figures';
import { bounded, ms, type Bound, type Check } from './checks';
import type { VariantStats } from './stats';

/** The answer rules a spec may set, in `analysis.rollback` and in `analysis.promote`. */
export interface AnswerRules {
  maxTtftP95Ms?: number | undefined;
  minTokensPerSecond?: number | undefined;
  maxTtftP95Ratio?: number | undefined;
  minTokensPerSecondRatio?: number | undefined;
  maxTokensPerRequestRatio?: number | undefined;
  maxCostPerRequestRatio?: number | undefined;
}
export type AnswerRuleName = keyof AnswerRules;

/** A check and the spec rule it judges. */
export interface RuleCheck {
  rule: AnswerRuleName;
  check: Check;
}

/** Speed of the candidate's answers on their own: first token and tokens per second. */
export function absoluteAnswerChecks(candidate: VariantStats, rules: AnswerRules): RuleCheck[] {
  const checks: RuleCheck[] = [];
  const ttftLimit = rules.maxTtftP95Ms;
  if (ttftLimit !== undefined)
    checks.push({
      rule: 'maxTtftP95Ms',
      check: bounded('TTFT p95', ttftP95(candidate), ttftLimit, 'most', (v) => `candidate TTFT p95 ${ms(v)} (max ${ms(ttftLimit)})`),
    });
  const speedLimit = rules.minTokensPerSecond;
  if (speedLimit !== undefined)
    checks.push({
      rule: 'minTokensPerSecond',
      check: bounded('tokens per second', tokensPerSecond(candidate), speedLimit, 'least', (v) => `candidate ${rate(v)} (min ${rate(speedLimit)})`),
    });
  return checks;
}

/**
 * The answers' speed, length and cost against the stable's. `stableMissing` says what a rule does
 * when the stable's side has no figure (no streamed stable answers: no TTFT to compare with):
 * `skip` leaves the rule out (an interval judges what it can), `no data` keeps it unjudged (the
 * evaluation never promotes on a rule it could not judge).
 */
export function relativeAnswerChecks(
  stable: VariantStats,
  candidate: VariantStats,
  rules: AnswerRules,
  cost: CostSpec | undefined,
  stableMissing: 'skip' | 'no data',
): RuleCheck[] {
  const checks: RuleCheck[] = [];
  const compare = (rule: AnswerRuleName, name: string, base: number | undefined, value: number | undefined, at: Bound, show: (v: number) => string): void => {
    const ratio = rules[rule];
    if (ratio === undefined) return;
    if (base === undefined) {
      if (stableMissing === 'no data')
        checks.push({ rule, check: { name, value: null, threshold: ratio, ok: null, detail: `${name}: no data for the stable` } });
      return;
    }
    const describe = (v: number): string => `candidate ${name} ${show(v)} vs stable ${show(base)} (${at === 'most' ? 'max' : 'min'} ${ratio}×)`;
    checks.push({ rule, check: bounded(name, value, base * ratio, at, describe) });
  };
  compare('maxTtftP95Ratio', 'TTFT p95', ttftP95(stable), ttftP95(candidate), 'most', ms);
  compare('minTokensPerSecondRatio', 'tokens per second', tokensPerSecond(stable), tokensPerSecond(candidate), 'least', rate);
  compare('maxTokensPerRequestRatio', 'tokens per request', tokensPerRequest(stable), tokensPerRequest(candidate), 'most', (v) => v.toFixed(1));
  if (cost) {
    compare('maxCostPerRequestRatio', 'cost per request', costPerRequest(stable, cost.stable), costPerRequest(candidate, cost.candidate), 'most', money);
  }
  return checks;
}
