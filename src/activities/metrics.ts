// Metric activity: one window of named measurements for the analysis loop.
import type { MetricProvider } from './metric-provider';
import type { Measurement } from '../analysis/measurements';

export function createMetricActivities(deps: { provider: MetricProvider }) {
  async function collectMeasurements(input: { route: string; fromMs: number; toMs: number }): Promise<Measurement[]> {
    return deps.provider.measure(input.route, input.fromMs, input.toMs);
  }
  return { collectMeasurements };
}

export type MetricActivities = ReturnType<typeof createMetricActivities>;
