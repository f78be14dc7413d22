// The Prometheus config, alert rules and Grafana dashboard under configs/, checked with Debian's
// promtool: the config loads, the rules parse and their own unit tests pass (alerts.test.yml),
// every dashboard query parses, and every metric they name is one the gateway exports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolPath } from '../../src/config/toolchain';
import { PACKAGE_ROOT } from '../../src/config/package-root';
import { GatewayMetrics } from '../../src/gateway/metrics';
import { ANALYSIS_ERRORS_METRIC, ANALYSIS_LATENCY_METRIC } from '../../src/gateway/analysis-exposition';
import { rolloutExposition } from '../../src/workers/rollout-gauges';
import { PROMETHEUS_CONFIG_DIR, preparePrometheusDir } from '../../src/stack/prometheus';

function promtool(...args: string[]): { code: number; output: string } {
  const run = spawnSync(toolPath('promtool'), args, { encoding: 'utf8', cwd: PROMETHEUS_CONFIG_DIR });
  return { code: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}
const dashboard = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'configs', 'grafana', 'gantry-rollouts.json'), 'utf8')) as Dashboard;
const dashboardQueries = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
const alertRules = readFileSync(join(PROMETHEUS_CONFIG_DIR, 'alerts.yml'), 'utf8');

/** The gateway's metric names, histograms with their series suffixes. */
function exportedNames(): Set<string> {
  const names = new Set<string>(['up']);
  for (const metric of new GatewayMetrics().registry.getMetricsAsArray()) {
    names.add(metric.name);
    if (metric.type.toString() === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  names.add(ANALYSIS_ERRORS_METRIC);
  for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${ANALYSIS_LATENCY_METRIC}${suffix}`);
  return names;
}

describe('observability configs', () => {
  it('the alert rules parse and pass their own unit tests', () => {
    const checked = promtool('check', 'rules', 'alerts.yml');
    assert.equal(checked.code, 0, checked.output);
    assert.match(checked.output, /SUCCESS: 8 rules found/);
    const tested = promtool('test', 'rules', 'alerts.test.yml');
    assert.equal(tested.code, 0, tested.output);
    assert.match(tested.output, /SUCCESS/);
  });

  it('a rule that does not parse is refused by the same check (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-rules-'));
    writeFileSync(join(dir, 'bad.yml'), 'groups:\n  - name: bad\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n');
    const checked = promtool('check', 'rules', join(dir, 'bad.yml'));
    assert.notEqual(checked.code, 0);
    assert.match(checked.output, /parse error/);
  });

  it('the Prometheus config as the stack writes it loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-prom-config-'));
    const config = preparePrometheusDir(dir, 2);
    assert.match(readFileSync(config, 'utf8'), /scrape_interval: 2s/);
    const checked = promtool('check', 'config', config);
    assert.equal(checked.code, 0, checked.output);
  });

  it('every dashboard query parses', () => {
    assert.ok(dashboardQueries.length >= 10, `${dashboardQueries.length} queries`);
    const dir = mkdtempSync(join(tmpdir(), 'gantry-dashboard-'));
    // Grafana's variables, as Grafana would fill them in.
    const rules = dashboardQueries.map((q, i) => ({
      record: `dashboard:query_${i}`,
      expr: q.expr.replaceAll('$route', '.*').replaceAll('$__rate_interval', '1m'),
    }));
    writeFileSync(join(dir, 'dashboard-queries.yml'), JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
    const checked = promtool('check', 'rules', join(dir, 'dashboard-queries.yml'));
    assert.equal(checked.code, 0, checked.output);
  });

  it('every metric the dashboard and the alerts name is one the gateway exports', () => {
    const exported = exportedNames();
    const named = [...dashboardQueries.map((q) => q.expr), alertRules].flatMap((text) =>
      [...text.matchAll(/\b(gantry_gateway_[a-z_]+)/g)].map((m) => m[1] as string),
    );
    assert.ok(named.length > 15);
    const unknown = [...new Set(named)].filter((name) => !exported.has(name));
    assert.deepEqual(unknown, [], `not exported by the gateway: ${unknown.join(', ')}`);
  });

  it("every rollout metric the alerts name is one the orchestrator's exporter writes", () => {
    const exposition = rolloutExposition({
      readAtMs: 1_000,
      ok: true,
      gauges: [{ rolloutId: 'chat-v2', route: 'chat', phase: 'Canary', paused: { sinceMs: 60_000, by: 'operator' } }],
    });
    const written = new Set([...exposition.matchAll(/^(gantry_[a-z_]+)\{?/gm)].map((m) => m[1] as string));
    const named = [...new Set([...alertRules.matchAll(/\b(gantry_rollouts?_[a-z_]+)/g)].map((m) => m[1] as string))];
    assert.ok(named.length >= 2, named.join(', '));
    assert.deepEqual(
      named.filter((name) => !written.has(name)),
      [],
    );
    assert.match(exposition, /^gantry_rollout_paused_since_timestamp_seconds\{rollout="chat-v2",route="chat",paused_by="operator"\} 60$/m);
  });
});
