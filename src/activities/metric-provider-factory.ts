// The factory over the metric-provider union: the gateway's own window statistics, or Prometheus.
import { measurementsOfWindow } from '../analysis/measurements';
import { GatewayAdminClient } from '../gateway/admin-client';
import type { MetricProvider, MetricProviderConfig } from './metric-provider';
import { PrometheusProvider } from './prometheus-provider';

export function createMetricProvider(config: MetricProviderConfig): MetricProvider {
  switch (config.kind) {
    case 'gateway': {
      // The gateway keeps exact per-second counts and latency histograms per route and variant.
      const client = new GatewayAdminClient(config.url, config.token);
      return { measure: async (route, fromMs, toMs) => measurementsOfWindow(await client.windowStats(route, fromMs, toMs)) };
    }
    case 'prometheus':
      // The gateway's cumulative analysis figures, scraped: the same measurements, read with PromQL.
      return new PrometheusProvider(config.url, config.job);
  }
}
