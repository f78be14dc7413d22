// QA gate: scoring eval answers and judging the suite. Pure; the activity does the requests.
import type { QaGate } from '../config/spec';
import { check, failedChecks, ms, pct, type Check } from './checks';
import { emptyHistogram, quantile, record } from './histogram';

export type Scorer = 'exact' | 'contains' | 'regex';

export interface EvalCase {
  id: string;
  prompt: string;
  expected: string;
  scorer: Scorer;
  category?: string;
  weight: number;
}

export interface EvalOutcome {
  id: string;
  passed: boolean;
  latencyMs: number;
  answer?: string;
  error?: string;
}

export interface QaReport {
  cases: number;
  passed: number;
  errors: number;
  accuracy: number;
  errorRate: number;
  p95Ms: number | null;
  checks: Check[];
  passedGate: boolean;
  summary: string;
  failures: EvalOutcome[];
}

const normalise = (text: string): string => text.trim().toLowerCase().replace(/\s+/g, ' ');

export function scoreAnswer(evalCase: Pick<EvalCase, 'expected' | 'scorer'>, answer: string): boolean {
  switch (evalCase.scorer) {
    case 'exact':
      return normalise(answer) === normalise(evalCase.expected);
    case 'contains':
      return normalise(answer).includes(normalise(evalCase.expected));
    case 'regex':
      return new RegExp(evalCase.expected, 'i').test(answer);
  }
}

export function judgeQa(cases: readonly EvalCase[], outcomes: readonly EvalOutcome[], gate: QaGate): QaReport {
  const weightOf = new Map(cases.map((c) => [c.id, c.weight]));
  const totalWeight = outcomes.reduce((sum, o) => sum + (weightOf.get(o.id) ?? 1), 0);
  const passedWeight = outcomes.filter((o) => o.passed).reduce((sum, o) => sum + (weightOf.get(o.id) ?? 1), 0);
  const accuracy = totalWeight === 0 ? 0 : passedWeight / totalWeight;
  const errors = outcomes.filter((o) => o.error !== undefined).length;
  const errorRate = outcomes.length === 0 ? 1 : errors / outcomes.length;
  const latency = emptyHistogram();
  for (const o of outcomes) if (o.error === undefined) record(latency, o.latencyMs);
  const p95 = quantile(latency, 0.95);

  const checks: Check[] = [
    check(
      'accuracy',
      accuracy,
      gate.minAccuracy,
      (v) => v >= gate.minAccuracy,
      (v) => `accuracy ${pct(v)} (min ${pct(gate.minAccuracy)})`,
    ),
    check(
      'error rate',
      errorRate,
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
        p95,
        limit,
        (v) => v <= limit,
        (v) => `p95 ${ms(v)} (max ${ms(limit)})`,
      ),
    );
  }
  const failed = failedChecks(checks);
  const passedGate = failed.length === 0 && checks.every((c) => c.ok === true);
  return {
    cases: outcomes.length,
    passed: outcomes.filter((o) => o.passed).length,
    errors,
    accuracy,
    errorRate,
    p95Ms: p95 ?? null,
    checks,
    passedGate,
    summary: passedGate
      ? checks.map((c) => c.detail).join('; ')
      : (failed.length ? failed : checks.filter((c) => c.ok !== true)).map((c) => c.detail).join('; '),
    failures: outcomes.filter((o) => !o.passed).slice(0, 20),
  };
}
