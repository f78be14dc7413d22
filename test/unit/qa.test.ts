import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeQa, scoreAnswer, type EvalCase } from '../../src/analysis/qa-gate';
import { parseEvalSuite } from '../../src/analysis/eval-suite';
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

describe('judgeQa', () => {
  const cases: EvalCase[] = [
    { id: 'a', prompt: 'p', expected: 'x', scorer: 'contains', weight: 1 },
    { id: 'b', prompt: 'p', expected: 'x', scorer: 'contains', weight: 3 },
  ];
  it('weights accuracy by case weight and passes the gate', () => {
    const report = judgeQa(
      cases,
      [
        { id: 'a', passed: false, latencyMs: 100 },
        { id: 'b', passed: true, latencyMs: 200 },
      ],
      { minAccuracy: 0.7, maxErrorRate: 0 },
    );
    assert.equal(report.accuracy, 0.75);
    assert.equal(report.passedGate, true);
  });
  it('fails the gate on errors and says which rule', () => {
    const report = judgeQa(
      cases,
      [
        { id: 'a', passed: false, latencyMs: 100, error: 'HTTP 500' },
        { id: 'b', passed: true, latencyMs: 200 },
      ],
      { minAccuracy: 0.5, maxErrorRate: 0 },
    );
    assert.equal(report.passedGate, false);
    assert.match(report.summary, /error rate 50.0% \(max 0.0%\)/);
  });
});
