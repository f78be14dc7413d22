// Rebuilding a traffic window from two Prometheus readings of the gateway's cumulative figures:
// the exposition read back gives the window the gateway's own statistics give, counter resets
// (a restarted gateway) are increases from zero, and every bucket maps back to its own index.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ANALYSIS_BUCKET_LE, AnalysisTotals } from '../../src/gateway/analysis-exposition';
import { WindowStatsStore } from '../../src/gateway/window-stats';
import { bucketOfLe, startNotBefore, windowFromSamples, type PromSample } from '../../src/analysis/prometheus-window';
import { BUCKET_COUNT } from '../../src/analysis/histogram';
import { parseEnv } from '../../src/config/parse-env';
import { orchestratorConfigSchema } from '../../src/workers/orchestrator-config';

/** Parses the text format the way a scrape would, for the lines of the analysis metrics. */
function scrape(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const metric: Record<string, string> = { __name__: match[1] as string, job: 'gantry-gateway' };
    for (const [, name, value] of (match[2] as string).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) metric[name as string] = (value as string).replace(/\\"/g, '"');
    samples.push({ metric, value: Number(match[3]) });
  }
  return samples;
}

describe('a traffic window from Prometheus readings', () => {
  it('maps every analysis bucket back to its own index, and +Inf to the last', () => {
    ANALYSIS_BUCKET_LE.forEach((le, i) => assert.equal(bucketOfLe(le), i, le));
    assert.equal(bucketOfLe('+Inf'), BUCKET_COUNT - 1);
  });

  it('reads back from the exposition exactly the window the gateway keeps', () => {
    let now = 1_000_000;
    const stats = new WindowStatsStore(3_600_000, () => now);
    const record = (series: 'stable' | 'candidate' | 'shadow', latency: number, error: boolean): void =>
      stats.recordRequest('chat "a"', series, latency, error, {
        ttftMs: latency % 2 === 0 ? latency / 4 : null,
        inputTokens: 30,
        outputTokens: Math.round(latency / 10),
      });
    const before = scrape(stats.totals.exposition());
    for (let i = 0; i < 50; i++) record('stable', 10 + i, false);
    for (let i = 0; i < 20; i++) record('candidate', 200 + i * 30, i % 5 === 0);
    for (let i = 0; i < 7; i++) record('shadow', 3_000, i === 0);
    now += 5_000;
    const after = scrape(stats.totals.exposition());
    const fromProm = windowFromSamples(before, after, 1_000_000, 1_006_000);
    const kept = stats.window('chat "a"', 1_000_000, 1_006_000);
    for (const series of ['stable', 'candidate', 'shadow'] as const) {
      assert.equal(fromProm[series].requests, kept[series].requests, series);
      assert.equal(fromProm[series].errors, kept[series].errors, series);
      assert.deepEqual(fromProm[series].latency.counts, kept[series].latency.counts, series);
      assert.ok(Math.abs(fromProm[series].latency.sumMs - kept[series].latency.sumMs) < 1e-6);
      assert.deepEqual(fromProm[series].ttft?.counts, kept[series].ttft?.counts, `${series} time to first token`);
      assert.equal(fromProm[series].inputTokens, kept[series].inputTokens, `${series} input tokens`);
      assert.equal(fromProm[series].outputTokens, kept[series].outputTokens, `${series} output tokens`);
    }
    assert.ok((kept.candidate.ttft?.total ?? 0) > 0 && (kept.candidate.outputTokens ?? 0) > 0, 'answers were counted');
    assert.equal(kept.candidate.inputTokens, 30 * 16, 'failed answers count no tokens');
  });

  it('takes a counter that went down as reset: its end value is the increase', () => {
    const totals = new AnalysisTotals();
    for (let i = 0; i < 30; i++) totals.record('chat', 'candidate', 50, i < 10);
    const start = scrape(totals.exposition());
    const restarted = new AnalysisTotals();
    for (let i = 0; i < 4; i++) restarted.record('chat', 'candidate', 80, i === 0);
    const window = windowFromSamples(start, scrape(restarted.exposition()), 0, 1);
    assert.equal(window.candidate.errors, 1);
    assert.equal(window.candidate.latency.total, 3);
    assert.equal(window.candidate.requests, 4);
    assert.ok(Math.abs(window.candidate.latency.sumMs - 240) < 1e-6);
  });

  it('counts pairs written and mirrors dropped, and nothing for a series with no traffic', () => {
    const sample = (name: string, labels: Record<string, string>, value: number): PromSample => ({
      metric: { __name__: name, route: 'chat', ...labels },
      value,
    });
    const start = [
      sample('gantry_gateway_shadow_pairs_total', { outcome: 'written' }, 10),
      sample('gantry_gateway_shadow_requests_total', { outcome: 'dropped' }, 2),
    ];
    const end = [
      sample('gantry_gateway_shadow_pairs_total', { outcome: 'written' }, 25),
      sample('gantry_gateway_shadow_pairs_total', { outcome: 'failed' }, 3),
      sample('gantry_gateway_shadow_requests_total', { outcome: 'dropped' }, 2),
      sample('gantry_gateway_shadow_requests_total', { outcome: 'sent' }, 40),
    ];
    const window = windowFromSamples(start, end, 0, 1);
    assert.equal(window.pairs, 15);
    assert.equal(window.shadowDropped, 0);
    assert.equal(window.stable.requests, 0);
  });
});

describe('a window that begins as Prometheus comes back', () => {
  const pairs = { __name__: 'gantry_gateway_shadow_pairs_total', route: 'chat', outcome: 'written' };
  const errors = { __name__: 'gantry_gateway_analysis_errors_total', route: 'chat', variant: 'candidate' };
  const rolloutBegan = 100_000;

  it("starts a series last scraped before the rollout began at its first sample in the window, not the earlier rollout's count", () => {
    // 32 pairs of the rollout before, scraped at 90 s; Prometheus away until 130 s, when the gateway had written 40.
    const start = [{ metric: pairs, value: 32 }];
    const before = [{ metric: pairs, points: [[90, 32]] as [number, number][] }];
    const within = [
      {
        metric: pairs,
        points: [
          [130, 40],
          [140, 45],
        ] as [number, number][],
      },
    ];
    const fresh = startNotBefore(start, before, within, rolloutBegan);
    assert.deepEqual(fresh, [{ metric: pairs, value: 40 }]);
    assert.equal(windowFromSamples(fresh, [{ metric: pairs, value: 45 }], 120_000, 140_000).pairs, 5, 'only what was scraped since');
    assert.equal(windowFromSamples(start, [{ metric: pairs, value: 45 }], 120_000, 140_000).pairs, 13, 'what a plain reading counted');
  });

  it('leaves alone a series scraped since the rollout began, and one with no sample in the window', () => {
    const start = [
      { metric: pairs, value: 7 },
      { metric: errors, value: 3 },
    ];
    const before = [
      { metric: pairs, points: [[101, 7]] as [number, number][] },
      { metric: errors, points: [[60, 3]] as [number, number][] },
    ];
    assert.deepEqual(startNotBefore(start, before, [], rolloutBegan), start);
  });
});

describe("the orchestrator's metric provider setting", () => {
  const token = { GANTRY_ADMIN_TOKEN: 'an-admin-token-of-20-chars' };
  it('defaults to the gateway, and refuses prometheus without a URL or an unknown provider, naming the variable', () => {
    assert.equal(parseEnv(orchestratorConfigSchema, token, 'orchestrator').GANTRY_METRIC_PROVIDER, 'gateway');
    assert.throws(
      () => parseEnv(orchestratorConfigSchema, { ...token, GANTRY_METRIC_PROVIDER: 'prometheus' }, 'orchestrator'),
      /^GantryError: orchestrator: GANTRY_PROMETHEUS_URL: is required when GANTRY_METRIC_PROVIDER is prometheus$/,
    );
    assert.throws(
      () => parseEnv(orchestratorConfigSchema, { ...token, GANTRY_METRIC_PROVIDER: 'influx' }, 'orchestrator'),
      /GANTRY_METRIC_PROVIDER: Invalid option/,
    );
    const config = parseEnv(
      orchestratorConfigSchema,
      { ...token, GANTRY_METRIC_PROVIDER: 'prometheus', GANTRY_PROMETHEUS_URL: 'http://127.0.0.1:9090' },
      'orchestrator',
    );
    assert.equal(config.GANTRY_PROMETHEUS_JOB, 'gantry-gateway');
  });
});
