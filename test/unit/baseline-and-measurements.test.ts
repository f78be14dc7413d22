import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyHistogram, record } from '../../src/analysis/histogram';
import { emptyWindow, type VariantStats } from '../../src/analysis/stats';
import { judgeBaseline, type UpstreamProbe } from '../../src/analysis/baseline-health';
import { judgeInterval } from '../../src/analysis/interval-verdict';
import { AnswerMeasure, measurementsOfWindow, trafficFromMeasurements, TrafficMeasure } from '../../src/analysis/measurements';
import { baselineRulesSchema, rollbackRulesSchema } from '../../src/config/spec';

function stats(requests: number, errors: number, latencyMs = 100): VariantStats {
  const latency = emptyHistogram();
  const ttft = emptyHistogram();
  for (let i = 0; i < requests - errors; i++) record(latency, latencyMs);
  for (let i = 0; i < requests - errors; i += 2) record(ttft, latencyMs / 5);
  return { requests, errors, latency, ttft, inputTokens: 40 * (requests - errors), outputTokens: 12 * (requests - errors) };
}

const baselineRules = baselineRulesSchema.parse({});
const up: UpstreamProbe = { healthy: true, detail: 'answered in 3ms' };
const down: UpstreamProbe = { healthy: false, detail: 'unreachable: connect ECONNREFUSED' };

describe('baseline health', () => {
  const table: [string, VariantStats, UpstreamProbe | null, boolean, RegExp][] = [
    ['a stable answering everything', stats(100, 0), up, true, /stable healthy/],
    ['a stable the probe finds down', stats(100, 0), down, false, /the stable's server is down \(unreachable: connect ECONNREFUSED\)/],
    ['a stable answering none', stats(60, 60), up, false, /the stable answered none of 60 requests \(max 20\.0%\)/],
    ['a stable failing a third', stats(90, 30), null, false, /stable error rate 33\.3% over 90 requests \(max 20\.0%\)/],
    ['a stable failing a tenth', stats(100, 10), up, true, /stable healthy/],
    ['too few stable requests to say', stats(4, 4), up, true, /stable healthy/],
    ['no traffic and no probe yet', stats(0, 0), { healthy: null, detail: 'not probed yet' }, true, /stable healthy/],
  ];
  for (const [what, stable, probe, healthy, reason] of table) {
    it(what, () => {
      const judged = judgeBaseline(stable, probe, baselineRules);
      assert.equal(judged.healthy, healthy);
      assert.match(judged.reason, reason);
    });
  }
});

describe('interval verdict against a sick baseline', () => {
  const rules = rollbackRulesSchema.parse({ maxErrorRate: 0.1, maxErrorRateRatio: 2, maxP95Ratio: 2, minRequests: 10 });
  const sick = { healthy: false, reason: 'the stable answered none of 60 requests (max 20.0%)' };
  it('is an Error, never a Pass, when the candidate looks good next to a dead stable', () => {
    const verdict = judgeInterval(stats(60, 60), stats(60, 0), rules, sick);
    assert.equal(verdict.verdict, 'Error');
    assert.equal(verdict.baselineHealthy, false);
    assert.match(verdict.summary, /^baseline unhealthy: the stable answered none of 60 requests/);
    assert.ok(!verdict.checks.some((c) => c.name.endsWith('vs stable')), 'no comparison with a sick stable');
  });
  it('is still a Fail when the candidate breaches an absolute rule on its own', () => {
    const verdict = judgeInterval(stats(60, 60), stats(60, 30), rules, sick);
    assert.equal(verdict.verdict, 'Fail');
    assert.match(verdict.summary, /candidate error rate 50\.0% \(max 10\.0%\)/);
  });
  it('is an Error even with too few candidate requests to judge', () => {
    assert.equal(judgeInterval(stats(60, 60), stats(3, 0), rules, sick).verdict, 'Error');
  });
  it('compares as before with a healthy stable', () => {
    const verdict = judgeInterval(stats(100, 1), stats(100, 1), rules, { healthy: true, reason: 'stable healthy' });
    assert.equal(verdict.verdict, 'Pass');
    assert.equal(verdict.baselineHealthy, true);
    assert.ok(verdict.checks.some((c) => c.name === 'error rate vs stable'));
  });
});

describe('named measurements', () => {
  const window = { ...emptyWindow(0, 10_000), stable: stats(50, 2), candidate: stats(10, 1, 200), shadow: stats(40, 0), pairs: 38, shadowDropped: 2 };
  it('carry a traffic window and give it back whole', () => {
    const reading = trafficFromMeasurements(measurementsOfWindow(window), 0, 10_000);
    assert.ok(reading.ok);
    if (reading.ok) assert.deepEqual(reading.window, window);
  });
  it('make the reading an error when a traffic measurement is missing or failed, naming it', () => {
    const measurements = measurementsOfWindow(window).filter((m) => !(m.name === TrafficMeasure.errors && m.variant === 'candidate'));
    const missing = trafficFromMeasurements(measurements, 0, 10_000);
    assert.deepEqual(missing, { ok: false, error: 'candidate errors: not reported' });
    const failed = trafficFromMeasurements(
      measurementsOfWindow(window).map((m) =>
        m.name === TrafficMeasure.requests && m.variant === 'stable' ? { ...m, value: undefined, error: 'query timed out' } : m,
      ),
      0,
      10_000,
    );
    assert.deepEqual(failed, { ok: false, error: 'stable requests: query timed out' });
  });
  it('leave tokens and first-token times unknown when a provider did not report them, and refuse them in error', () => {
    const answerNames: string[] = Object.values(AnswerMeasure);
    const withoutAnswers = measurementsOfWindow(window).filter((m) => !answerNames.includes(m.name));
    const reading = trafficFromMeasurements(withoutAnswers, 0, 10_000);
    assert.ok(reading.ok);
    if (reading.ok) assert.deepEqual(Object.keys(reading.window.candidate).sort(), ['errors', 'latency', 'requests']);
    const failed = measurementsOfWindow(window).map((m) =>
      m.name === AnswerMeasure.outputTokens && m.variant === 'candidate' ? { ...m, value: undefined, error: 'query timed out' } : m,
    );
    assert.deepEqual(trafficFromMeasurements(failed, 0, 10_000), { ok: false, error: 'candidate output_tokens: query timed out' });
  });
});
