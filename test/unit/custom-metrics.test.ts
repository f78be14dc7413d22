// Custom metrics: conditions parsed and evaluated, measurements judged, limits counted in a row.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateCondition, parseCondition } from '../../src/config/metric-condition';
import { actionFor, judgeMetric, nextStanding, renderQuery, type MetricReading, type MetricStanding } from '../../src/analysis/metric-verdict';
import { metricRuleSchema } from '../../src/config/metric-rules';
import { rolloutSpecSchema } from '../../src/config/spec';
import { weeksLongSpec } from '../helpers/specs';

function holds(text: string, value: number): boolean {
  const parsed = parseCondition(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return evaluateCondition(parsed.condition, value);
}

describe('metric conditions', () => {
  it('compares the result with every operator', () => {
    assert.equal(holds('result <= 2.5', 2.5), true);
    assert.equal(holds('result < 2.5', 2.5), false);
    assert.equal(holds('result >= 100', 99.9), false);
    assert.equal(holds('result > -1', 0), true);
    assert.equal(holds('result == 0', 0), true);
    assert.equal(holds('result != 0', 0), false);
    assert.equal(holds('result < 1e-3', 0.0005), true);
  });

  it('joins comparisons with && and ||, && binding tighter', () => {
    assert.equal(holds('result > 1 && result < 3', 2), true);
    assert.equal(holds('result > 1 && result < 3', 4), false);
    assert.equal(holds('result < 1 || result > 3 && result < 5', 4), true);
    assert.equal(holds('result < 1 || result > 3 && result < 5', 2), false);
  });

  it('refuses anything that is not a comparison with a number', () => {
    for (const text of ['result <= ', 'len(result) > 0', 'result <= 2; rm -rf /', 'result =< 2', '']) {
      const parsed = parseCondition(text);
      assert.equal(parsed.ok, false, text);
    }
  });
});

const rule = metricRuleSchema.parse({ name: 'ttft-p95', provider: 'prometheus', query: 'q', successCondition: 'result <= 2', failureLimit: 2 });

function standingAfter(readings: MetricReading[]): MetricStanding {
  let standing: MetricStanding | undefined;
  readings.forEach((reading, at) => (standing = nextStanding(standing, judgeMetric(rule, reading), rule.name, at)));
  if (!standing) throw new Error('no reading');
  return standing;
}

describe('judging a custom metric', () => {
  it('passes, fails, is Inconclusive without a sample and Error when it cannot be read', () => {
    assert.equal(judgeMetric(rule, { value: 1.5 }).verdict, 'Pass');
    assert.equal(judgeMetric(rule, { value: 2.5 }).verdict, 'Fail');
    assert.equal(judgeMetric(rule, { value: null }).verdict, 'Inconclusive');
    assert.equal(judgeMetric(rule, { error: 'Prometheus unreachable' }).verdict, 'Error');
    const failing = metricRuleSchema.parse({ name: 'errors', provider: 'prometheus', query: 'q', failureCondition: 'result > 0' });
    assert.equal(judgeMetric(failing, { value: 0 }).verdict, 'Pass');
    assert.match(judgeMetric(failing, { value: 3 }).detail, /^errors = 3 \(failure when result > 0\)$/);
  });

  it('rolls back at failureLimit failures in a row, and a Pass between resets the count', () => {
    assert.equal(actionFor(rule, standingAfter([{ value: 3 }])), null);
    assert.equal(actionFor(rule, standingAfter([{ value: 3 }, { value: 1 }, { value: 3 }])), null);
    const action = actionFor(rule, standingAfter([{ value: 1 }, { value: 3 }, { value: 3 }]));
    assert.equal(action?.kind, 'rollback');
    assert.match(action?.reason ?? '', /ttft-p95 = 3 \(success when result <= 2\): failed 2 times in a row \(failureLimit 2\)/);
  });

  it('pauses, never rolls back, at consecutiveErrorLimit errors or inconclusiveLimit empty results', () => {
    const errors = standingAfter(Array.from({ length: 4 }, () => ({ error: 'ECONNREFUSED' })));
    assert.equal(actionFor(rule, errors)?.kind, 'pause');
    assert.equal(actionFor(rule, standingAfter(Array.from({ length: 3 }, () => ({ error: 'x' })))), null);
    const empty = standingAfter(Array.from({ length: 4 }, () => ({ value: null })));
    assert.match(actionFor(rule, empty)?.reason ?? '', /no sample .* \(4 in a row, inconclusiveLimit 4\)/);
  });

  it('warns once per streak at severity warning, and rolls back at the first failure at severity emergency', () => {
    const warning = metricRuleSchema.parse({
      name: 'w',
      provider: 'prometheus',
      query: 'q',
      successCondition: 'result <= 2',
      severity: 'warning',
      failureLimit: 2,
    });
    const streak = (rule: typeof warning, values: number[]): MetricStanding => {
      let standing: MetricStanding | undefined;
      values.forEach((value, at) => (standing = nextStanding(standing, judgeMetric(rule, { value }), rule.name, at)));
      if (!standing) throw new Error('no reading');
      return standing;
    };
    assert.equal(actionFor(warning, streak(warning, [3])), null);
    assert.equal(actionFor(warning, streak(warning, [3, 3]))?.kind, 'warn');
    assert.equal(actionFor(warning, streak(warning, [3, 3, 3])), null, 'once per streak');
    const pausing = metricRuleSchema.parse({ ...warning, pauseOnWarning: true });
    assert.equal(actionFor(pausing, streak(pausing, [3, 3]))?.kind, 'pause');
    const emergency = metricRuleSchema.parse({ ...warning, severity: 'emergency', failureLimit: 5 });
    const action = actionFor(emergency, streak(emergency, [1, 3]));
    assert.deepEqual(action, { kind: 'rollback', reason: 'w = 3 (success when result <= 2): failed 1 time in a row (severity emergency)', emergency: true });
  });

  it('fills the placeholders of a query', () => {
    const query = 'sum(rate(x{route="{{route}}",rollout="{{rolloutId}}"}[{{interval}}]))';
    assert.equal(renderQuery(query, { route: 'chat', rolloutId: 'r-1', intervalMs: 60_000 }), 'sum(rate(x{route="chat",rollout="r-1"}[60s]))');
  });
});

describe('analysis.metrics in a spec', () => {
  const withMetrics = (metrics: unknown[]) => rolloutSpecSchema.safeParse({ ...weeksLongSpec(), analysis: { metrics } });

  it('accepts a rule and defaults its limits', () => {
    const parsed = withMetrics([{ name: 'tps', provider: 'prometheus', query: 'vector(120)', successCondition: 'result >= 100' }]);
    assert.ok(parsed.success);
    assert.deepEqual(
      parsed.data.analysis.metrics.map((m) => [m.failureLimit, m.consecutiveErrorLimit, m.inconclusiveLimit]),
      [[1, 4, 4]],
    );
  });

  it('refuses an unknown provider, two conditions or none, a condition that does not parse, and names used twice', () => {
    const cases: [unknown[], RegExp][] = [
      [[{ name: 'a', provider: 'datadog', query: 'q', successCondition: 'result > 0' }], /unknown provider/],
      [[{ name: 'a', provider: 'prometheus', query: 'q', successCondition: 'result > 0', failureCondition: 'result < 0' }], /exactly one/],
      [[{ name: 'a', provider: 'prometheus', query: 'q' }], /exactly one/],
      [[{ name: 'a', provider: 'prometheus', query: 'q', successCondition: 'result is big' }], /not a comparison/],
      [
        [
          { name: 'a', provider: 'prometheus', query: 'q', successCondition: 'result > 0' },
          { name: 'a', provider: 'prometheus', query: 'q', successCondition: 'result > 0' },
        ],
        /unique/,
      ],
    ];
    for (const [metrics, message] of cases) {
      const parsed = withMetrics(metrics);
      assert.equal(parsed.success, false);
      assert.match(parsed.error?.issues.map((i) => i.message).join('; ') ?? '', message);
    }
  });
});
