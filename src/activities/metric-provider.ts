// Metric stores behind one narrow interface, chosen by a factory over a discriminated union.
import { z } from 'zod';
import { measurementsOfWindow, type Measurement } from '../analysis/measurements';
import { GatewayAdminClient } from '../gateway/admin-client';
import { PrometheusProvider } from './prometheus-provider';

export interface MetricProvider {
  /**
   * Named measurements of a route over [fromMs, toMs). Throws when the store cannot answer at all.
   * `notBeforeMs`: when the rollout began; nothing counted before it may count in the window.
   */
  measure(route: string, fromMs: number, toMs: number, notBeforeMs?: number): Promise<Measurement[]>;
}

export const metricProviderConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('gateway'), url: z.url(), token: z.string().min(1) }),
  z.object({ kind: z.literal('prometheus'), url: z.url(), job: z.string().min(1) }),
]);
export type MetricProviderConfig = z.output<typeof metricProviderConfigSchema>;

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
