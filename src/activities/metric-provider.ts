// Metric stores behind one narrow interface, chosen by a factory over a discriminated union
// (metric-provider-factory.ts).
import { z } from 'zod';
import type { Measurement } from '../analysis/measurements';

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
