// Tokens, speed and cost in verdicts: the figures derived from a variant's window, and the rules
// that judge them, absolute and against the stable.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyHistogram, record } from '../../src/analysis/histogram';
import type { VariantStats } from '../../src/analysis/stats';
import { addAnswer, costPerRequest, tokensPerRequest, tokensPerSecond, ttftP95 } from '../../src/analysis/answer-figures';
import { judgeInterval } from '../../src/analysis/interval-verdict';
import { decidePromotion, evidenceOf } from '../../src/analysis/promotion-decision';
import { analysisSchema, promoteRulesSchema, rollbackRulesSchema } from '../../src/config/spec';
import { variantLine } from '../../src/cli/rollout/format-status';

interface Answers {
  requests: number;
  latencyMs: number;
  ttftMs: number | null;
  input: number;
  output: number;
}

/** `requests` successful answers, each alike. */
function variant({ requests, latencyMs, ttftMs, input, output }: Answers): VariantStats {
  const stats: VariantStats = { requests, errors: 0, latency: emptyHistogram() };
  for (let i = 0; i < requests; i++) {
    record(stats.latency, latencyMs);
    addAnswer(stats, { ttftMs, inputTokens: input, outputTokens: output });
  }
  return stats;
}

const stable = variant({ requests: 50, latencyMs: 1_000, ttftMs: 100, input: 200, output: 50 });

describe('answer figures', () => {
  it('derive tokens per second, tokens per request and TTFT p95 from a window', () => {
    assert.equal(tokensPerSecond(stable), 50);
    assert.equal(tokensPerRequest(stable), 250);
    const p95 = ttftP95(stable) as number;
    assert.ok(p95 >= 100 && p95 < 110, String(p95)); // the bucket's upper bound, 10% wide
  });

  it('say "no data" rather than zero: no streamed answers, no counted tokens, no answers', () => {
    const unstreamed = variant({ requests: 20, latencyMs: 500, ttftMs: null, input: 10, output: 0 });
    assert.equal(ttftP95(unstreamed), undefined);
    assert.equal(tokensPerSecond(unstreamed), undefined);
    assert.equal(tokensPerSecond({ requests: 3, errors: 3, latency: emptyHistogram() }), undefined);
    assert.equal(costPerRequest({ requests: 3, errors: 3, latency: emptyHistogram() }, { perGpuHour: 2 }), undefined);
  });

  it('price an answer per 1k tokens, or per GPU-hour by the time it held the server', () => {
    assert.ok(Math.abs((costPerRequest(stable, { inputPer1k: 0.5, outputPer1k: 1.5 }) as number) - (0.2 * 0.5 + 0.05 * 1.5)) < 1e-12);
    // one second of a $3.60/h GPU is a tenth of a cent
    assert.ok(Math.abs((costPerRequest(stable, { perGpuHour: 3.6 }) as number) - 0.001) < 1e-12);
  });
});

describe('answer rules in an interval verdict', () => {
  const rules = (extra: object) => rollbackRulesSchema.parse({ minRequests: 10, ...extra });

  it('fail a candidate slower than the tokens/s floor, naming its speed', () => {
    const slow = variant({ requests: 30, latencyMs: 2_000, ttftMs: 150, input: 200, output: 40 });
    const verdict = judgeInterval(stable, slow, rules({ minTokensPerSecond: 30 }));
    assert.equal(verdict.verdict, 'Fail');
    assert.equal(verdict.summary, 'candidate 20.0 tokens/s (min 30.0 tokens/s)');
    assert.equal(judgeInterval(stable, stable, rules({ minTokensPerSecond: 30 })).verdict, 'Pass');
  });

  it('compare TTFT, speed, length and cost with the stable', () => {
    const candidate = variant({ requests: 30, latencyMs: 1_000, ttftMs: 200, input: 200, output: 150 });
    const cost = { stable: { inputPer1k: 1, outputPer1k: 2 }, candidate: { perGpuHour: 3.6 } };
    const verdict = judgeInterval(
      stable,
      candidate,
      rules({ maxTtftP95Ratio: 1.5, minTokensPerSecondRatio: 0.8, maxTokensPerRequestRatio: 1.2, maxCostPerRequestRatio: 1 }),
      undefined,
      cost,
    );
    const byName = Object.fromEntries(verdict.checks.map((c) => [c.name, c]));
    assert.equal(byName['TTFT p95']?.ok, false, byName['TTFT p95']?.detail);
    assert.match(byName['TTFT p95']?.detail ?? '', /^candidate TTFT p95 2\d\dms vs stable 1\d\dms \(max 1\.5×\)$/);
    assert.equal(byName['tokens per second']?.ok, true); // 150 tokens/s against 50
    assert.equal(byName['tokens per request']?.ok, false); // 350 against 250
    // $0.001 a request on the GPU against $0.3 through the API
    assert.equal(byName['cost per request']?.ok, true, byName['cost per request']?.detail);
    assert.equal(verdict.verdict, 'Fail');
  });

  it('leave a rule unjudged when the stable has no figure to compare with', () => {
    const unstreamedStable = variant({ requests: 50, latencyMs: 1_000, ttftMs: null, input: 200, output: 50 });
    const candidate = variant({ requests: 30, latencyMs: 1_000, ttftMs: 900, input: 200, output: 50 });
    const verdict = judgeInterval(unstreamedStable, candidate, rules({ maxTtftP95Ratio: 1.2 }));
    assert.deepEqual(verdict.checks, []);
    assert.equal(verdict.verdict, 'Pass');
  });

  it('leave an absolute rule without data as no data, never a failure', () => {
    const unstreamed = variant({ requests: 30, latencyMs: 1_000, ttftMs: null, input: 200, output: 50 });
    const verdict = judgeInterval(stable, unstreamed, rules({ maxTtftP95Ms: 50 }));
    assert.equal(verdict.verdict, 'Pass');
    assert.deepEqual(
      verdict.checks.map((c) => [c.name, c.ok, c.detail]),
      [['TTFT p95', null, 'TTFT p95: no data']],
    );
  });
});

describe('answer rules in the evaluation of the whole canary', () => {
  const rules = (extra: object) => promoteRulesSchema.parse({ minSamples: 20, ...extra });
  const answerChecks = (decision: ReturnType<typeof decidePromotion>) =>
    decision.checks.filter((c) => ['TTFT p95', 'tokens per second', 'tokens per request', 'cost per request'].includes(c.name)).map((c) => [c.name, c.ok]);

  it('refuse to promote a candidate that answers slower than the stable over the canary, as a failure', () => {
    const slower = variant({ requests: 40, latencyMs: 2_000, ttftMs: 100, input: 200, output: 50 });
    const decision = decidePromotion(stable, slower, rules({ minTokensPerSecondRatio: 0.8 }));
    assert.equal(decision.promote, false);
    assert.equal(evidenceOf(decision), 'fail');
    assert.deepEqual(decision.reasons, ['candidate tokens per second 25.0 tokens/s vs stable 50.0 tokens/s (min 0.8×)']);
    assert.equal(evidenceOf(decidePromotion(stable, stable, rules({ minTokensPerSecondRatio: 0.8 }))), 'promote');
  });

  it('promote a candidate cheaper per request, and refuse a dearer one', () => {
    const cost = { stable: { inputPer1k: 1, outputPer1k: 2 }, candidate: { inputPer1k: 1, outputPer1k: 2 } };
    const shorter = variant({ requests: 40, latencyMs: 1_000, ttftMs: 100, input: 200, output: 25 });
    const longer = variant({ requests: 40, latencyMs: 1_000, ttftMs: 100, input: 200, output: 100 });
    const cheap = decidePromotion(stable, shorter, rules({ maxCostPerRequestRatio: 1, maxTokensPerRequestRatio: 1.1 }), cost);
    assert.equal(cheap.promote, true, cheap.reasons.join('; '));
    assert.deepEqual(answerChecks(cheap), [
      ['tokens per request', true],
      ['cost per request', true],
    ]);
    const dear = decidePromotion(stable, longer, rules({ maxCostPerRequestRatio: 1 }), cost);
    assert.equal(evidenceOf(dear), 'fail');
    assert.deepEqual(dear.reasons, ['candidate cost per request $0.4000 vs stable $0.3000 (max 1×)']);
  });

  it('hold a rule without data on either side as unjudged: inconclusive, never promoted on it', () => {
    const unstreamedStable = variant({ requests: 50, latencyMs: 1_000, ttftMs: null, input: 200, output: 50 });
    const candidate = variant({ requests: 40, latencyMs: 1_000, ttftMs: 100, input: 200, output: 50 });
    const relative = decidePromotion(unstreamedStable, candidate, rules({ maxTtftP95Ratio: 1.2 }));
    assert.equal(evidenceOf(relative), 'inconclusive');
    assert.deepEqual(relative.reasons, ['TTFT p95: no data for the stable']);
    const unstreamedCandidate = variant({ requests: 40, latencyMs: 1_000, ttftMs: null, input: 200, output: 50 });
    const absolute = decidePromotion(stable, unstreamedCandidate, rules({ maxTtftP95Ms: 500 }));
    assert.equal(evidenceOf(absolute), 'inconclusive');
    assert.deepEqual(absolute.reasons, ['TTFT p95: no data']);
  });

  it('judge TTFT p95 against a fixed ceiling', () => {
    const late = variant({ requests: 40, latencyMs: 1_000, ttftMs: 800, input: 200, output: 50 });
    const decision = decidePromotion(stable, late, rules({ maxTtftP95Ms: 500 }));
    assert.equal(evidenceOf(decision), 'fail');
    assert.match(decision.reasons[0] ?? '', /^candidate TTFT p95 8\d\dms \(max 500ms\)$/);
  });
});

describe('cost in the spec', () => {
  it('refuses a cost rule without prices, and a price of neither kind', () => {
    const noPrices = analysisSchema.safeParse({ rollback: { maxCostPerRequestRatio: 1 } });
    assert.equal(noPrices.success, false);
    assert.match(noPrices.error?.issues[0]?.message ?? '', /needs analysis\.cost: the price of the stable and of the candidate/);
    const noPricesToPromote = analysisSchema.safeParse({ promote: { maxCostPerRequestRatio: 1 } });
    assert.deepEqual(noPricesToPromote.error?.issues[0]?.path, ['promote', 'maxCostPerRequestRatio']);
    const badPrice = analysisSchema.safeParse({ cost: { stable: { perToken: 1 }, candidate: { perGpuHour: 2 } } });
    assert.equal(badPrice.success, false);
    assert.match(badPrice.error?.issues[0]?.message ?? '', /a price is \{inputPer1k, outputPer1k\} \(per 1k tokens\) or \{perGpuHour\}/);
    const ok = analysisSchema.parse({
      rollback: { maxCostPerRequestRatio: 1.1 },
      cost: { stable: { inputPer1k: 0.5, outputPer1k: 1.5 }, candidate: { perGpuHour: 2.5 } },
    });
    assert.deepEqual(ok.cost?.candidate, { perGpuHour: 2.5 });
  });
});

describe("a variant's line in rollout status", () => {
  it('adds the first-token time and the speed where they were measured, and nothing where not', () => {
    assert.match(variantLine('stable', stable), /^stable +50 req {2}errors +0\.0% {2}p95 +\d+ms {2}TTFT p95 10\dms {2}50\.0 tokens\/s$/);
    const unmeasured = { requests: 5, errors: 0, latency: stable.latency };
    assert.match(variantLine('candidate', unmeasured), /p95 +\d+ms$/);
  });
});
