import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyHistogram, merge, quantile, record, bucketIndex } from '../../src/analysis/histogram';
import { errorRateWorsePValue, normalCdf, mergeWindows, emptyWindow, type VariantStats } from '../../src/analysis/stats';
import { judgeInterval } from '../../src/analysis/interval-verdict';
import { decidePromotion, evidenceOf } from '../../src/analysis/promotion-decision';
import { rollbackRulesSchema, promoteRulesSchema } from '../../src/config/spec';

function stats(requests: number, errors: number, latencyMs: number | number[]): VariantStats {
  const latency = emptyHistogram();
  const values = Array.isArray(latencyMs) ? latencyMs : Array<number>(requests - errors).fill(latencyMs);
  for (const v of values) record(latency, v);
  return { requests, errors, latency };
}

describe('histogram', () => {
  it('estimates percentiles within one 10% bucket', () => {
    const h = emptyHistogram();
    for (let i = 1; i <= 1000; i++) record(h, i);
    const p50 = quantile(h, 0.5) as number;
    const p95 = quantile(h, 0.95) as number;
    assert.ok(p50 >= 500 && p50 <= 550, `p50 ${p50}`);
    assert.ok(p95 >= 950 && p95 <= 1045, `p95 ${p95}`);
    assert.equal(quantile(emptyHistogram(), 0.5), undefined);
  });

  it('merges without losing counts, and clamps huge values into the last bucket', () => {
    const a = emptyHistogram();
    const b = emptyHistogram();
    record(a, 10);
    record(b, 10);
    record(b, 1e9);
    const m = merge(a, b);
    assert.equal(m.total, 3);
    assert.equal(m.counts[String(bucketIndex(10))], 2);
    assert.equal(bucketIndex(1e9), bucketIndex(1e12));
  });
});

describe('statistics', () => {
  it('normalCdf matches known values', () => {
    assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-6);
    assert.ok(Math.abs(normalCdf(1.96) - 0.975) < 1e-3);
    assert.ok(Math.abs(normalCdf(-1.645) - 0.05) < 1e-3);
  });

  it('finds a clearly worse candidate error rate significant, and equal rates not', () => {
    const worse = errorRateWorsePValue(stats(1000, 10, 100), stats(1000, 40, 100)) as number;
    assert.ok(worse < 0.001, `p=${worse}`);
    const same = errorRateWorsePValue(stats(1000, 10, 100), stats(1000, 10, 100)) as number;
    assert.ok(same > 0.4 && same < 0.6, `p=${same}`);
    assert.equal(errorRateWorsePValue(stats(0, 0, 1), stats(10, 1, 1)), undefined);
  });

  it('merges windows field by field', () => {
    const a = { ...emptyWindow(0, 1000), stable: stats(10, 1, 100), pairs: 3 };
    const b = { ...emptyWindow(1000, 2000), stable: stats(5, 0, 100), pairs: 2, shadowDropped: 1 };
    const m = mergeWindows(a, b);
    assert.deepEqual([m.fromMs, m.toMs, m.stable.requests, m.stable.errors, m.pairs, m.shadowDropped], [0, 2000, 15, 1, 5, 1]);
  });
});

describe('judgeInterval', () => {
  const rules = rollbackRulesSchema.parse({ maxErrorRate: 0.1, maxErrorRateRatio: 2, maxP95Ms: 1000, maxP95Ratio: 2, minRequests: 10 });
  const table: [string, VariantStats, VariantStats, string, RegExp?][] = [
    ['healthy candidate', stats(100, 1, 200), stats(100, 1, 210), 'Pass'],
    ['too few candidate requests', stats(100, 0, 200), stats(5, 5, 200), 'Inconclusive', /5 candidate requests < 10/],
    ['absolute error rate breach', stats(100, 9, 200), stats(100, 15, 200), 'Fail', /error rate 15.0% \(max 10.0%\)/],
    ['error rate twice the stable', stats(100, 2, 200), stats(100, 5, 200), 'Fail', /vs stable 2.0%/],
    ['small error rate under the ratio floor', stats(100, 0, 200), stats(100, 1, 200), 'Pass'],
    ['latency cap breach', stats(100, 0, 200), stats(100, 0, 1500), 'Fail', /p95 .* \(max 1000ms\)/],
    ['latency twice the stable', stats(100, 0, 200), stats(100, 0, 500), 'Fail', /max 2×/],
    ['stable without traffic: only absolute rules', stats(0, 0, 0), stats(100, 0, 500), 'Pass'],
  ];
  for (const [name, stable, candidate, verdict, summary] of table) {
    it(name, () => {
      const result = judgeInterval(stable, candidate, rules);
      assert.equal(result.verdict, verdict, result.summary);
      if (summary) assert.match(result.summary, summary);
    });
  }
});

describe('built-in rules with severities', () => {
  const rules = (severity: Record<string, string>) =>
    rollbackRulesSchema.parse({ maxErrorRate: 0.1, maxP95Ratio: 2, minTokensPerSecond: 5, minRequests: 10, severity });

  it('a failing warning rule is said, never a Fail', () => {
    const result = judgeInterval(stats(100, 0, 200), stats(100, 0, 500), rules({ maxP95Ratio: 'warning' }));
    assert.equal(result.verdict, 'Pass');
    // p95s are read from 10% histogram buckets: 500 and 200 ms come back as 539 and 208.
    assert.deepEqual(result.warnings, ['candidate p95 539ms vs stable 208ms (max 2×) (severity warning)']);
    assert.equal(result.summary, '100 candidate requests, no rule that acts failed; warning: candidate p95 539ms vs stable 208ms (max 2×) (severity warning)');
    assert.equal(result.checks.find((c) => c.rule === 'maxP95Ratio')?.severity, 'warning');
  });

  it('a failing emergency rule is a Fail that says so, beside a warning', () => {
    const result = judgeInterval(stats(100, 0, 200), stats(100, 30, 500), rules({ maxErrorRate: 'emergency', maxP95Ratio: 'warning' }));
    assert.equal(result.verdict, 'Fail');
    assert.equal(result.emergency, true);
    assert.equal(result.summary, 'candidate error rate 30.0% (max 10.0%) (severity emergency)');
    assert.equal(result.warnings?.length, 1);
  });

  it('a critical failure beside a passing emergency rule is an ordinary Fail', () => {
    const result = judgeInterval(stats(100, 0, 200), stats(100, 0, 500), rules({ maxErrorRate: 'emergency' }));
    assert.equal(result.verdict, 'Fail');
    assert.equal(result.emergency, undefined);
    assert.equal(result.summary, 'candidate p95 539ms vs stable 208ms (max 2×)');
  });

  it('judges a spec from before severities as before', () => {
    const { severity: _s, pauseOnWarning: _p, ...old } = rules({});
    const result = judgeInterval(stats(100, 0, 200), stats(100, 0, 500), old as ReturnType<typeof rules>);
    assert.equal(result.verdict, 'Fail');
  });

  it('refuses a severity for a rule that is not set, or one that is not a severity', () => {
    const unset = rollbackRulesSchema.safeParse({ maxErrorRate: 0.1, severity: { maxP95Ms: 'warning' } });
    assert.equal(unset.success ? 'parsed' : unset.error.issues[0]?.message, 'no maxP95Ms rule is set to give a severity to');
    const odd = rollbackRulesSchema.safeParse({ maxErrorRate: 0.1, severity: { maxErrorRate: 'fatal' } });
    assert.equal(odd.success, false);
  });
});

describe('decidePromotion', () => {
  const rules = promoteRulesSchema.parse({ minSamples: 200, maxErrorRateIncrease: 0, maxP95IncreaseMs: 50, minSuccessRate: 0.98, maxP95Ms: 1500 });

  it('promotes when every rule holds, listing each rule', () => {
    const decision = decidePromotion(stats(1000, 5, 300), stats(800, 2, 320), rules);
    assert.equal(decision.promote, true, decision.reasons.join('; '));
    assert.equal(decision.checks.length, 7);
  });

  it('refuses on too few samples, and says so', () => {
    const decision = decidePromotion(stats(1000, 0, 300), stats(150, 0, 300), rules);
    assert.equal(decision.promote, false);
    assert.match(decision.reasons.join(';'), /150 candidate samples \(min 200\)/);
  });

  it('refuses when latency grows by more than 50 ms', () => {
    const decision = decidePromotion(stats(1000, 0, 300), stats(1000, 0, 400), rules);
    assert.equal(decision.promote, false);
    assert.match(decision.reasons.join(';'), /p95 .* vs stable .* \(max \+50ms\)/);
  });

  it('refuses when the error rate is significantly worse', () => {
    const decision = decidePromotion(stats(1000, 5, 300), stats(1000, 18, 300), { ...rules, maxErrorRateIncrease: 0.05, minSuccessRate: undefined });
    assert.equal(decision.promote, false);
    assert.match(decision.reasons.join(';'), /errs more than stable/);
  });

  it('refuses on missing evidence rather than promoting blind', () => {
    const decision = decidePromotion(stats(0, 0, 0), stats(0, 0, 0), { ...rules, minSamples: 0 });
    assert.equal(decision.promote, false);
    assert.equal(evidenceOf(decision), 'inconclusive');
  });
});

describe('evidenceOf', () => {
  const rules = promoteRulesSchema.parse({ minSamples: 200, maxErrorRateIncrease: 0, maxP95IncreaseMs: 50 });

  it('calls a canary without candidate samples inconclusive, never a failure', () => {
    assert.equal(evidenceOf(decidePromotion(stats(1000, 0, 300), stats(0, 0, 0), rules)), 'inconclusive');
    assert.equal(evidenceOf(decidePromotion(stats(1000, 0, 300), stats(150, 0, 300), rules)), 'inconclusive');
  });

  it('calls a candidate measured worse a failure, even with too few samples', () => {
    assert.equal(evidenceOf(decidePromotion(stats(1000, 0, 300), stats(150, 0, 600), rules)), 'fail');
    assert.equal(evidenceOf(decidePromotion(stats(1000, 0, 300), stats(1000, 0, 600), rules)), 'fail');
  });

  it('passes a promotion through', () => {
    assert.equal(evidenceOf(decidePromotion(stats(1000, 0, 300), stats(1000, 0, 300), rules)), 'promote');
  });
});
