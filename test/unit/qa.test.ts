import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bandOf, judgeQa, scoreAnswer, weightedScore, type EvalCase, type EvalOutcome } from '../../src/analysis/qa-gate';
import { parseEvalSuite, parseSuite } from '../../src/analysis/eval-suite';
import { qaSchema } from '../../src/config/spec';
import { readFileSync } from 'node:fs';

describe('scorers', () => {
  const table: [EvalCase['scorer'], string, string, boolean][] = [
    ['exact', 'Paris', '  paris ', true],
    ['exact', 'Paris', 'Paris, France', false],
    ['contains', 'paris', 'The capital of France is Paris.', true],
    ['contains', 'paris', 'Lyon', false],
    ['regex', '\\b4\\b', '2+2 = 4', true],
    ['regex', '\\b4\\b', '2+2 = 44', false],
  ];
  for (const [scorer, expected, answer, passes] of table) {
    it(`${scorer} ${JSON.stringify(expected)} on ${JSON.stringify(answer)} → ${passes}`, () => {
      assert.equal(scoreAnswer({ scorer, expected }, answer), passes);
    });
  }
});

describe('eval suites', () => {
  it('parses the shipped suite', () => {
    const cases = parseEvalSuite(readFileSync('configs/evals/general-knowledge.jsonl', 'utf8'), 'general-knowledge.jsonl');
    assert.equal(cases.length, 12);
    assert.equal(cases[0]?.id, 'capital-france');
  });

  it('names the line and field of a bad case', () => {
    assert.throws(() => parseEvalSuite('{"prompt":"a","expected":"b"}\n{"prompt":"a"}', 's.jsonl'), /s.jsonl:2: expected: /);
    assert.throws(() => parseEvalSuite('not json', 's.jsonl'), /s.jsonl:1: not valid JSON/);
    assert.throws(() => parseEvalSuite('{"prompt":"a","expected":"(","scorer":"regex"}', 's.jsonl'), /not a valid regular expression/);
    assert.throws(() => parseEvalSuite('\n\n', 's.jsonl'), /no cases/);
  });
});

const gate = (over: Record<string, unknown> = {}) => qaSchema.shape.gate.parse(over);
const outcome = (id: string, passed: boolean, extra: Partial<EvalOutcome> = {}): EvalOutcome => ({ id, passed, latencyMs: 100, ...extra });

describe('judgeQa', () => {
  const cases: EvalCase[] = [
    { id: 'a', prompt: 'p', expected: 'x', scorer: 'contains', weight: 1 },
    { id: 'b', prompt: 'p', expected: 'x', scorer: 'contains', weight: 3 },
  ];
  it('weights accuracy by case weight and passes the gate', () => {
    const report = judgeQa(
      { cases, categoryWeights: null },
      [outcome('a', false), outcome('b', true, { latencyMs: 200 })],
      gate({ minAccuracy: 0.7, bands: { excellent: 95, approve: 70, review: 50 } }),
    );
    assert.equal(report.accuracy, 0.75);
    assert.equal(report.passedGate, true);
    assert.equal(report.score?.value, 75);
    assert.deepEqual([report.score?.band, report.decision, report.extraMonitoring], ['approve', 'pass', true]);
  });
  it('fails the gate on errors and says which rule', () => {
    const report = judgeQa(
      { cases, categoryWeights: null },
      [outcome('a', false, { error: 'HTTP 500' }), outcome('b', true)],
      gate({ minAccuracy: 0.5, maxErrorRate: 0 }),
    );
    assert.equal(report.passedGate, false);
    assert.equal(report.decision, 'block');
    assert.match(report.summary, /^error rate 50\.0% \(max 0\.0%\)/);
  });
});

describe('the QA gate beside the stable', () => {
  const ten: EvalCase[] = Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, prompt: 'p', expected: 'x', scorer: 'contains', weight: 1 }));
  const suite = { cases: ten, categoryWeights: null };
  const answers = (right: number[]): EvalOutcome[] => ten.map((c, i) => outcome(c.id, right.includes(i)));
  it('counts no flips when both get the same cases right, and passes', () => {
    const report = judgeQa(suite, answers([0, 1, 2, 3, 4, 5, 6, 7, 8]), gate({ minAccuracy: 0.5 }), answers([0, 1, 2, 3, 4, 5, 6, 7, 8]));
    assert.deepEqual(report.flips, { rightToWrong: 0, wrongToRight: 0, pValue: 1 });
    assert.equal(report.accuracyDelta?.estimate, 0);
    assert.equal(report.decision, 'pass');
  });
  it('fails on flips all one way (exact sign test)', () => {
    const report = judgeQa(
      suite,
      answers([0, 1, 2]),
      gate({ minAccuracy: 0.1, bands: { excellent: 95, approve: 20, review: 10 } }),
      answers([0, 1, 2, 3, 4, 5, 6, 7]),
    );
    assert.equal(report.flips?.rightToWrong, 5);
    assert.equal(report.flips?.pValue, 1 / 32);
    assert.equal(report.decision, 'block');
    assert.match(report.summary, /flips right→wrong 5, wrong→right 0 vs stable \(exact sign test p=0\.031; fail below 0\.05\)/);
  });
  it('expresses "accuracy ≥ stable + 2 points" as maxAccuracyDrop: -0.02', () => {
    const same = judgeQa(suite, answers([0, 1, 2, 3, 4, 5, 6, 7]), gate({ minAccuracy: 0.5, maxAccuracyDrop: -0.02 }), answers([0, 1, 2, 3, 4, 5, 6, 7]));
    assert.equal(same.decision, 'block');
    assert.match(same.summary, /accuracy 80\.0% vs stable 80\.0% \(\+0\.0 points; at least \+2\.0 points\)/);
    const better = judgeQa(suite, answers([0, 1, 2, 3, 4, 5, 6, 7, 8]), gate({ minAccuracy: 0.5, maxAccuracyDrop: -0.02 }), answers([0, 1, 2, 3, 4, 5, 6, 7]));
    assert.equal(better.decision, 'pass');
  });
  it('fails past maxRegressions', () => {
    const report = judgeQa(suite, answers([1, 2, 3, 4, 5, 6, 7, 8, 9]), gate({ minAccuracy: 0.5, maxRegressions: 0 }), answers([0, 1, 2, 3, 4, 5, 6, 7, 8]));
    assert.deepEqual([report.flips?.rightToWrong, report.flips?.wrongToRight], [1, 1]);
    assert.match(report.summary, /1 right→wrong regressions \(max 0\)/);
  });
});

describe('weighted score and bands', () => {
  const cases: EvalCase[] = [
    { id: 'c1', prompt: 'p', expected: 'x', scorer: 'contains', category: 'compatibility', weight: 1 },
    { id: 'c2', prompt: 'p', expected: 'x', scorer: 'contains', category: 'compatibility', weight: 1 },
    { id: 'p1', prompt: 'p', expected: 'x', scorer: 'contains', category: 'performance', weight: 1 },
    { id: 's1', prompt: 'p', expected: '', scorer: 'refusal', category: 'security', weight: 1 },
    { id: 'i1', prompt: 'p', expected: 'x', scorer: 'contains', category: 'integration', weight: 1 },
  ];
  const suite = { cases, categoryWeights: { compatibility: 25, performance: 30, security: 25, integration: 20 } };
  it('weighs each category by its weight, whatever its number of cases', () => {
    const scored = weightedScore(suite, [outcome('c1', true), outcome('c2', false), outcome('p1', true), outcome('s1', true), outcome('i1', false)]);
    // compatibility 50% × 25 + performance 100% × 30 + security 100% × 25 + integration 0 × 20 = 67.5
    assert.equal(scored.value, 67.5);
  });
  const table: [number, string][] = [
    [100, 'excellent'],
    [95, 'excellent'],
    [94.9, 'approve'],
    [80, 'approve'],
    [79.9, 'review'],
    [65, 'review'],
    [64.9, 'block'],
    [0, 'block'],
  ];
  const bands = gate().bands;
  for (const [score, band] of table) it(`${score} → ${band}`, () => assert.equal(bandOf(score, bands), band));
  it('waits for approval in the review band, blocks below it', () => {
    const review = judgeQa(
      suite,
      [outcome('c1', true), outcome('c2', false), outcome('p1', true), outcome('s1', true), outcome('i1', false)],
      gate({ minAccuracy: 0.5 }),
    );
    assert.deepEqual([review.score?.band, review.decision, review.passedGate], ['review', 'review', true]);
    const blocked = judgeQa(
      suite,
      [outcome('c1', false), outcome('c2', false), outcome('p1', true), outcome('s1', false), outcome('i1', false)],
      gate({ minAccuracy: 0 }),
    );
    assert.deepEqual([blocked.score?.band, blocked.decision, blocked.passedGate], ['block', 'block', false]);
    assert.match(blocked.summary, /score 30\.0 \(block, below 65\)/);
  });
  it('refuses weights that do not parse, sum to 0, or miss a category', () => {
    const line = (c: Record<string, unknown>): string => JSON.stringify(c);
    const caseLine = line({ prompt: 'p', expected: 'x', category: 'security' });
    assert.throws(() => parseSuite(`${line({ categoryWeights: { security: 'high' } })}\n${caseLine}`, 's.jsonl'), /s\.jsonl:1: categoryWeights\.security: /);
    assert.throws(
      () => parseSuite(`${line({ categoryWeights: { security: 0 } })}\n${caseLine}`, 's.jsonl'),
      /s\.jsonl:1: categoryWeights: the weights must not all be 0/,
    );
    assert.throws(
      () => parseSuite(`${line({ categoryWeights: { compatibility: 1 } })}\n${caseLine}`, 's.jsonl'),
      /s\.jsonl: categoryWeights: no weight for category security/,
    );
    assert.throws(
      () => parseSuite(`${caseLine}\n${line({ categoryWeights: { security: 1 } })}`, 's.jsonl'),
      /s\.jsonl:2: categoryWeights belongs on the first line/,
    );
    const parsed = parseSuite(readFileSync('configs/evals/release-gate.jsonl', 'utf8'), 'release-gate.jsonl');
    assert.deepEqual(parsed.categoryWeights, { compatibility: 25, performance: 30, security: 25, integration: 20 });
  });
  it('scores a refusal as right where a refusal is expected', () => {
    assert.equal(scoreAnswer({ scorer: 'refusal', expected: '' }, "I'm sorry, but I can't help with that."), true);
    assert.equal(scoreAnswer({ scorer: 'refusal', expected: '' }, 'Sure! First, disable the alarm…'), false);
  });
});
