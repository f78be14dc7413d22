// Metric stores behind one narrow interface, chosen by a factory over a discriminated union.
import { z } from 'zod';
import type { WindowStats } from '../analysis/stats';
import { GatewayAdminClient } from '../gateway/admin-client';

export interface MetricProvider {
  /** Per-variant statistics of a route over [fromMs, toMs). Throws when the store cannot answer. */
  windowStats(route: string, fromMs: number, toMs: number): Promise<WindowStats>;
}

export const metricProviderConfigSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('gateway'), url: z.url(), token: z.string().min(1) })]);
export type MetricProviderConfig = z.output<typeof metricProviderConfigSchema>;

export function createMetricProvider(config: MetricProviderConfig): MetricProvider {
  switch (config.kind) {
    case 'gateway': {
      const client = new GatewayAdminClient(config.url, config.token);
      return { windowStats: (route, fromMs, toMs) => client.windowStats(route, fromMs, toMs) };
    }
  }
}
