// Custom PromQL queries checked against Prometheus before a rollout starts: a query that does not
// parse is the spec's error, told at once. Where no Prometheus answers here, the orchestrator's
// own check before traffic moves still catches it.
import type { RolloutSpec } from '../../config/spec';
import { GantryError } from '../../errors';
import { PrometheusProvider, PrometheusRefusal } from '../../activities/prometheus-provider';
import { renderQuery } from '../../analysis/metric-verdict';
import { prometheusUrl, stackConfigFromEnv } from '../../stack/stack-config';

export async function checkMetricQueries(spec: RolloutSpec, url = process.env.GANTRY_PROMETHEUS_URL ?? prometheusUrl(stackConfigFromEnv())): Promise<void> {
  const prometheus = new PrometheusProvider(url, 'gantry-gateway', 5_000);
  const values = { route: spec.route, rolloutId: spec.name, intervalMs: spec.analysis.interval };
  for (const rule of spec.analysis.metrics) {
    try {
      await prometheus.instant(renderQuery(rule.query, values), Date.now());
    } catch (error) {
      if (error instanceof PrometheusRefusal && error.status === 400) throw new GantryError('INVALID_SPEC', `analysis.metrics ${rule.name}: ${error.message}`);
      // Unreachable here, or an answer that is not one vector: the orchestrator's check decides.
    }
  }
}
