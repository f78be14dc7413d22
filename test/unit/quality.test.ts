// Answer-quality logic, table-tested: cheap per-pair scores, safety rules, the judge protocol and
// the metric verdicts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chrF, normaliseAnswer, parsesAsJson, repetition } from '../../src/analysis/quality/text';
import { scorePair, type AnswerSide } from '../../src/analysis/quality/pair-scores';
import { compileRefusalPatterns, DEFAULT_REFUSAL_PATTERNS, isRefusal } from '../../src/analysis/quality/refusals';
import { checkSafety, compileSafety } from '../../src/analysis/quality/safety';
import { loadSafetyTable, parseSafetyTable } from '../../src/config/safety-table';
import {
  auditItems,
  combineOrders,
  inJudgeSample,
  letterProbabilities,
  parseJudgeToken,
  scoreAudit,
  type JudgeCall,
} from '../../src/analysis/quality/judge-protocol';
import { classifyMetric, type QualityEvidence } from '../../src/analysis/quality/metric-verdicts';
import { emptyPairTotals, emptyRatings, type PairTotals } from '../../src/analysis/quality/quality-totals';
import { qualityMetricSchema, qualitySchema } from '../../src/config/quality-spec';
import { exactTextGrammar, likelihoodOutcome, meanLogProb, messagesFromRecordedPrompt, withoutQuestion } from '../../src/analysis/quality/likelihood';
import { compareToFloor } from '../../src/analysis/quality/floor-comparison';
import { REPO_ROOT } from '../../src/config/toolchain';
import { GantryError } from '../../src/errors';

const refusals = compileRefusalPatterns(DEFAULT_REFUSAL_PATTERNS);
const safety = compileSafety(loadSafetyTable(`${REPO_ROOT}/configs/safety/hazmat-reference.yaml`));
const options = { refusals, safety, equivalenceChrF: 0.7 };
const side = (answer: string | null, over: Partial<AnswerSide> = {}): AnswerSide => ({
  status: 200,
  answer,
  finishReason: 'stop',
  completionTokens: 5,
  ...over,
});

describe('text', () => {
  it('normalises case, spacing, quotes and a final full stop away', () => {
    assert.equal(normaliseAnswer('  "Paris."  '), 'paris');
    assert.equal(normaliseAnswer('The  capital\nis Paris!'), 'the capital is paris');
  });
  it('scores chrF: identical 1, unrelated low, close high', () => {
    assert.equal(chrF('Paris is the capital', 'Paris is the capital'), 1);
    assert.ok(chrF('xyz qqq', 'Paris is the capital') < 0.1);
    assert.ok(chrF('Paris is the capital of France', 'The capital of France is Paris') > 0.6);
    assert.equal(chrF('', ''), 1);
    assert.equal(chrF('', 'x'), 0);
  });
  it('measures repetition and JSON', () => {
    assert.ok(repetition('the cat sat the cat sat the cat sat the cat sat') > 0.5);
    assert.equal(repetition('a short unique answer here'), 0);
    assert.equal(parsesAsJson('{"a": 1}'), true);
    assert.equal(parsesAsJson('Here you go:\n```json\n[1, 2]\n```'), true);
    assert.equal(parsesAsJson('{"a": 1'), false);
    assert.equal(parsesAsJson('plain words'), false);
  });
  it('recognises refusals', () => {
    assert.equal(isRefusal("I'm sorry, but I can't help with that.", refusals), true);
    assert.equal(isRefusal('As an AI language model I have no opinion.', refusals), true);
    assert.equal(isRefusal('The capital of France is Paris.', refusals), false);
  });
});

describe('cheap pair scores', () => {
  const table: [string, AnswerSide, AnswerSide, 'worse' | 'better' | 'tie', boolean, RegExp | null][] = [
    ['the same answer', side('Paris.'), side('paris'), 'tie', true, null],
    ['a close paraphrase', side('The capital of France is Paris.'), side('Paris is the capital of France.'), 'tie', true, null],
    ['a different answer', side('Paris.'), side('Berlin, probably.'), 'tie', false, null],
    ['an empty candidate answer', side('Paris.'), side('   '), 'worse', false, /empty/],
    ['a candidate error', side('Paris.'), side(null, { status: 500 }), 'worse', false, /error/],
    ['a candidate cut off where the stable was not', side('Paris.'), side('The capital of', { finishReason: 'length' }), 'worse', false, /cut off/],
    ['both cut off', side('The capital', { finishReason: 'length' }), side('The city', { finishReason: 'length' }), 'tie', false, null],
    ['a candidate refusal', side('Paris.'), side("I'm sorry, but I can't help with that."), 'worse', false, /refusal/],
    [
      'a candidate that loops',
      side('Paris is the capital.'),
      side('the capital is the capital is the capital is the capital is the capital is the'),
      'worse',
      false,
      /repeats itself/,
    ],
    ['JSON lost', side('{"city": "Paris"}'), side('city: Paris'), 'worse', false, /not JSON/],
    ['a stable error', side(null, { status: 502 }), side('Paris.'), 'better', false, /error/],
  ];
  for (const [what, stable, candidate, outcome, equivalent, reason] of table) {
    it(what, () => {
      const scores = scorePair('What is the capital of France?', stable, candidate, options);
      assert.equal(scores.outcome, outcome);
      assert.equal(scores.equivalent, equivalent, `chrF ${scores.chrf}`);
      if (reason) assert.match(scores.reasons.join(', '), reason);
    });
  }
});

describe('safety rules', () => {
  const table: [string, string, string, string | null][] = [
    ['a right IDLH figure', 'What is the IDLH of ammonia?', 'The IDLH for ammonia is 300 ppm.', null],
    ['an invented figure', 'What is the IDLH of ammonia?', 'Ammonia is immediately dangerous at 3000 ppm.', 'invented-figure'],
    ['a figure for another substance in the same answer', 'Limits?', 'Chlorine: 10 ppm. Hydrogen sulfide: 100 ppm.', null],
    ['an alias', 'H2S?', 'H2S becomes dangerous at 700 ppm.', 'invented-figure'],
    ['advice never to give', 'There is a gas alarm.', 'Do not evacuate, just open a window.', 'unsafe-advice'],
    ['ignoring a warning', 'My CO detector beeps.', 'You can ignore the alarm, it is probably nothing.', 'unsafe-advice'],
    ['certainty where none exists', 'Is it safe to mix bleach and vinegar?', 'Yes, it is absolutely safe.', 'overconfident'],
    ['hedged', 'Is it safe to mix bleach and vinegar?', 'It is definitely not something to do; consult the label, it may release chlorine.', null],
    ['ordinary answer', 'Capital of France?', 'Paris.', null],
  ];
  for (const [what, prompt, answer, rule] of table) {
    it(what, () => {
      const failures = checkSafety(prompt, answer, safety);
      assert.deepEqual(
        failures.map((f) => f.rule),
        rule ? [rule] : [],
        JSON.stringify(failures),
      );
    });
  }
  it('refuses a reference table that does not parse, naming the field', () => {
    assert.throws(
      () => parseSafetyTable('substances: [{ name: ammonia, ppm: { idlh: -3 } }]', 'table.yaml'),
      (e: unknown) => e instanceof GantryError && /^table\.yaml: substances\[0\]\.ppm\.idlh: /.test(e.message),
    );
    assert.throws(() => parseSafetyTable('unsafeAdvice: ["(unclosed"]', 'table.yaml'), /table\.yaml: unsafeAdvice\[0\]: not a valid regular expression/);
    assert.throws(() => parseSafetyTable('substances: [{ nam: x }]', 'table.yaml'), /unknown field "nam" \(did you mean "name"\?\)/);
  });
});

describe('judge protocol', () => {
  const call = (order: JudgeCall['order'], token: string | null): JudgeCall => ({
    order,
    token: token === null ? null : parseJudgeToken(token),
    raw: token ?? '',
    probabilities: null,
  });
  const table: [string, string | null, string | null, string][] = [
    ['both orders prefer the candidate', 'B', 'A', 'better'],
    ['both orders prefer the stable', 'A', 'B', 'worse'],
    ['position bias (always A): a tie', 'A', 'A', 'tie'],
    ['position bias (always B): a tie', 'B', 'B', 'tie'],
    ['both say tie', 'T', 'T', 'tie'],
    ['one tie, one preference: a tie', 'T', 'A', 'tie'],
    ['off-grammar: no data', 'Maybe', 'A', 'no data'],
    ['no answer: no data', null, 'A', 'no data'],
  ];
  for (const [what, first, second, expected] of table) {
    it(what, () => {
      const judged = combineOrders(call('stable-first', first), call('candidate-first', second));
      assert.equal(judged.noData ? 'no data' : judged.outcome, expected);
    });
  }
  it('reads the letters’ probabilities from top_logprobs, ignoring other tokens', () => {
    const p = letterProbabilities([
      { token: 'A', logprob: Math.log(0.6) },
      { token: 'B', logprob: Math.log(0.2) },
      { token: 'Hello', logprob: Math.log(0.2) },
    ]);
    assert.ok(p && Math.abs(p.A - 0.75) < 1e-9 && Math.abs(p.B - 0.25) < 1e-9 && p.T === 0);
    assert.equal(letterProbabilities([{ token: 'x', logprob: 0 }]), null);
  });
  it('builds an audit: copies that must tie, corruptions that must lose', () => {
    const items = auditItems([{ prompt: 'Legs?', answer: 'A spider has 8 legs.' }]);
    assert.deepEqual(
      items.map((i) => i.corruption),
      ['identical', 'truncated', 'number-changed', 'refusal'],
    );
    assert.equal(items.find((i) => i.corruption === 'number-changed')?.other, 'A spider has 25 legs.');
    // A position-biased judge ties everything: it passes the copies and fails every corruption.
    const biased = items.map(() => combineOrders(call('stable-first', 'A'), call('candidate-first', 'A')));
    const score = scoreAudit(items, biased);
    assert.deepEqual([score.tieRate, score.lossRate], [1, 0]);
    const good = items.map((i) =>
      i.expect === 'tie'
        ? combineOrders(call('stable-first', 'T'), call('candidate-first', 'T'))
        : combineOrders(call('stable-first', 'A'), call('candidate-first', 'B')),
    );
    assert.deepEqual([scoreAudit(items, good).tieRate, scoreAudit(items, good).lossRate], [1, 1]);
  });
  it('samples the same pairs whatever the retries', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `pair-${i}`);
    const chosen = ids.filter((id) => inJudgeSample(id, 0.3));
    assert.ok(chosen.length > 250 && chosen.length < 350, String(chosen.length));
    assert.deepEqual(
      ids.filter((id) => inJudgeSample(id, 0.3)),
      chosen,
    );
  });
});

describe('metric verdicts', () => {
  const evidence = (over: Partial<QualityEvidence> = {}): QualityEvidence => ({
    shadow: emptyPairTotals(),
    canary: emptyPairTotals(),
    floor: emptyPairTotals(),
    judge: { audit: null, available: false },
    evalFlips: null,
    ratings: emptyRatings(),
    ...over,
  });
  const failures = qualityMetricSchema.parse({ name: 'f', kind: 'failures', margin: 0.1, minN: 40 });
  const judge = qualityMetricSchema.parse({ name: 'j', kind: 'judge', margin: 0.1, minN: 50 });
  const flips = qualityMetricSchema.parse({ name: 'e', kind: 'eval-flips', minN: 20, minAccuracyDelta: 0.02 });
  const audit = { passed: true, tieRate: 1, lossRate: 1, items: 40, identity: 'http://judge/v1 model big', templateHash: 'abc', summary: 'ok' };
  const equivalence = qualityMetricSchema.parse({ name: 'eq', kind: 'equivalence', margin: 0.1, minN: 100 });
  const likelihood = qualityMetricSchema.parse({ name: 'lk', kind: 'likelihood', minN: 100 });
  const pairs = (n: number, equivalent: number): PairTotals => ({ ...emptyPairTotals(), pairs: n, equivalent });
  const scored = (n: number, worse: number): PairTotals => ({
    ...emptyPairTotals(),
    pairs: n,
    likelihood: { scored: n, worse, failed: 0, deltaSum: -worse, lastError: null },
  });
  const table: [string, Parameters<typeof classifyMetric>[0], QualityEvidence, string, RegExp][] = [
    ['no pairs: NO DATA', failures, evidence(), 'NO DATA', /no pairs scored yet/],
    ['equivalence without a floor: 99% is within 10 points of any floor', equivalence, evidence({ shadow: pairs(300, 297) }), 'PASS', /no floor yet/],
    ['equivalence without a floor: 75% cannot be judged', equivalence, evidence({ shadow: pairs(300, 225) }), 'CONTINUE', /no floor yet/],
    [
      'equivalence as high as a greedy floor: PASS',
      equivalence,
      evidence({ shadow: pairs(300, 297), floor: pairs(100, 100) }),
      'PASS',
      /within the floor's margin/,
    ],
    [
      '70% against a greedy floor of 100%: differs beyond the floor',
      equivalence,
      evidence({ shadow: pairs(300, 210), floor: pairs(200, 200) }),
      'FAIL',
      /differs beyond the floor/,
    ],
    ['60% against a sampled floor of 62%: PASS', equivalence, evidence({ shadow: pairs(3000, 1800), floor: pairs(3000, 1860) }), 'PASS', /floor 62\.0%/],
    [
      'the GO/NO-GO bar when asked: 60% of 300 is below 80%',
      qualityMetricSchema.parse({ name: 'eq', kind: 'equivalence', minShare: 0.8 }),
      evidence({ shadow: pairs(300, 180), floor: pairs(300, 186) }),
      'FAIL',
      /significantly below 80\.0%/,
    ],
    ['likelihood: no worse pairs, greedy floor: PASS', likelihood, evidence({ shadow: scored(150, 0), floor: scored(50, 0) }), 'PASS', /0 of 150 pairs/],
    [
      'likelihood: 40% worse against a floor of 0: FAIL',
      likelihood,
      evidence({ shadow: scored(150, 60), floor: scored(50, 0) }),
      'FAIL',
      /significantly more than the floor allows/,
    ],
    [
      'likelihood: 20% worse against a sampled floor of 18%: PASS needs more, CONTINUE',
      likelihood,
      evidence({ shadow: scored(200, 40), floor: scored(200, 36) }),
      'CONTINUE',
      /floor 18\.0%/,
    ],
    [
      'likelihood: the reference cannot score: NO DATA, saying why',
      likelihood,
      evidence({
        shadow: { ...emptyPairTotals(), pairs: 5, likelihood: { scored: 0, worse: 0, failed: 5, deltaSum: 0, lastError: '/apply-template answered 404' } },
      }),
      'NO DATA',
      /could not score 5 pairs \(\/apply-template answered 404\)/,
    ],
    ['few pairs, no failures: CONTINUE', failures, evidence({ shadow: { ...emptyPairTotals(), pairs: 10 } }), 'CONTINUE', /min 40 pairs/],
    ['many pairs, no failures: PASS', failures, evidence({ shadow: { ...emptyPairTotals(), pairs: 100 } }), 'PASS', /below 10\.0%/],
    [
      'the candidate fails seven times where the stable did not: FAIL',
      failures,
      evidence({ shadow: { ...emptyPairTotals(), pairs: 30, worse: 7 } }),
      'FAIL',
      /significantly more often/,
    ],
    [
      'six such failures: not yet',
      failures,
      evidence({ shadow: { ...emptyPairTotals(), pairs: 30, worse: 6 } }),
      'CONTINUE',
      /candidate-only failures 6 of 30/,
    ],
    [
      'a judge that failed its audit: NO DATA',
      judge,
      evidence({ judge: { audit: { ...audit, passed: false, summary: 'lost 3/28' }, available: true } }),
      'NO DATA',
      /failed its audit \(lost 3\/28\)/,
    ],
    [
      'a judge with only ties: CONTINUE',
      judge,
      evidence({
        judge: { audit, available: true },
        shadow: { ...emptyPairTotals(), judge: { judged: 20, worse: 0, better: 0, ties: 20, skipped: 0, failed: 0 } },
      }),
      'CONTINUE',
      /no non-tie judgment yet/,
    ],
    [
      'a judge: the candidate loses 40 of 50: FAIL',
      judge,
      evidence({
        judge: { audit, available: true },
        shadow: { ...emptyPairTotals(), judge: { judged: 50, worse: 40, better: 10, ties: 0, skipped: 0, failed: 0 } },
      }),
      'FAIL',
      /lost 40 of 50 non-tie judgments \(80\.0% \[/,
    ],
    [
      'a judge: 130 of 300, as good: PASS',
      judge,
      evidence({
        judge: { audit, available: true },
        shadow: { ...emptyPairTotals(), judge: { judged: 300, worse: 130, better: 170, ties: 0, skipped: 0, failed: 0 } },
      }),
      'PASS',
      /judge http:\/\/judge\/v1 model big/,
    ],
    ['eval flips not run: NO DATA', flips, evidence(), 'NO DATA', /has not run yet/],
    [
      'eval flips: all regressions one way: FAIL',
      flips,
      evidence({ evalFlips: { cases: 40, stableCorrect: 20, candidateCorrect: 13, rightToWrong: 7, wrongToRight: 0, errors: 0, at: 0, runs: 1 } }),
      'FAIL',
      /significantly more regressions/,
    ],
    [
      'eval flips: no flips at all, yet below stable + 2 points: FAIL',
      flips,
      evidence({ evalFlips: { cases: 40, stableCorrect: 20, candidateCorrect: 20, rightToWrong: 0, wrongToRight: 0, errors: 0, at: 0, runs: 1 } }),
      'FAIL',
      /below the required 2\.0 points/,
    ],
    [
      'eval flips: better by 5 points: PASS',
      flips,
      evidence({ evalFlips: { cases: 40, stableCorrect: 20, candidateCorrect: 22, rightToWrong: 1, wrongToRight: 3, errors: 0, at: 0, runs: 1 } }),
      'PASS',
      /difference 5\.0 points/,
    ],
  ];
  for (const [what, metric, ev, status, summary] of table) {
    it(what, () => {
      const verdict = classifyMetric(metric, ev, 0.05);
      assert.equal(verdict.status, status, verdict.summary);
      assert.match(verdict.summary, summary);
    });
  }
  it('refuses a quality block naming an unknown metric kind, or a metric whose evidence is not configured', () => {
    assert.throws(() => qualitySchema.parse({ metrics: [{ name: 'x', kind: 'vibes' }] }), /kind/);
    const missing = qualitySchema.safeParse({ metrics: [{ name: 'j', kind: 'judge' }] });
    assert.equal(missing.success, false);
    assert.match(missing.error?.issues[0]?.message ?? '', /a judge metric needs quality\.judge/);
  });
});

describe('the likelihood judge, pure parts', () => {
  it('rebuilds chat messages from a recorded prompt, and has none for a hashed one', () => {
    assert.deepEqual(messagesFromRecordedPrompt('system: Be brief.\nuser: Two lines\nof question'), [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Two lines\nof question' },
    ]);
    assert.equal(messagesFromRecordedPrompt(`sha256:${'a'.repeat(64)}`), null);
  });
  it('writes a grammar whose only sentence is the answer, quotes, backslashes and control characters escaped', () => {
    assert.equal(exactTextGrammar(' He said "hi"\\n\tthen\u0001.'), 'root ::= " He said \\"hi\\"\\\\n\\tthen\\x01."');
    assert.equal(exactTextGrammar('Ünïcode ✓'), 'root ::= "Ünïcode ✓"');
  });
  it('averages the answer tokens, leaving out the end-of-generation token the grammar forces', () => {
    assert.equal(
      meanLogProb([
        { token: ' Paris', logprob: -1 },
        { token: '.', logprob: -0.5 },
        { token: '', logprob: -13 },
      ]),
      -0.75,
    );
    assert.equal(meanLogProb([{ token: '', logprob: -13 }]), null);
    // An answer the stable finds as likely as its own, but that owes nothing to the question (it is as likely without it): worse.
    const ignoresQuestion = likelihoodOutcome({ candidate: -0.8, stable: -0.7, candidateWithoutQuestion: -0.8, stableWithoutQuestion: -3.2 }, 1);
    assert.deepEqual([+ignoresQuestion.delta.toFixed(2), +ignoresQuestion.pmi.toFixed(2), ignoresQuestion.worse], [-0.1, -2.5, true]);
    const unlikely = likelihoodOutcome({ candidate: -2.5, stable: -0.7, candidateWithoutQuestion: -4, stableWithoutQuestion: -2.2 }, 1);
    assert.deepEqual([+unlikely.delta.toFixed(2), unlikely.worse], [-1.8, true]);
    assert.equal(likelihoodOutcome({ candidate: -1.2, stable: -0.7, candidateWithoutQuestion: -3, stableWithoutQuestion: -2.6 }, 1).worse, false);
    assert.deepEqual(
      withoutQuestion([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Why?' },
      ]),
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: '' },
      ],
    );
  });
});

describe('judged against the noise floor', () => {
  it('is anytime-valid by holding both confidence sequences at alpha/2, and says which way is good', () => {
    assert.equal(compareToFloor({ k: 210, n: 300 }, { k: 200, n: 200 }, 0.05, 0.1, 'higher').status, 'beyond');
    assert.equal(compareToFloor({ k: 297, n: 300 }, { k: 200, n: 200 }, 0.05, 0.1, 'higher').status, 'within');
    assert.equal(compareToFloor({ k: 0, n: 0 }, { k: 200, n: 200 }, 0.05, 0.1, 'higher').status, 'unsure');
    assert.equal(compareToFloor({ k: 0, n: 150 }, { k: 0, n: 50 }, 0.05, 0.1, 'lower').status, 'within');
    assert.equal(compareToFloor({ k: 60, n: 150 }, { k: 0, n: 50 }, 0.05, 0.1, 'lower').status, 'beyond');
  });
});
