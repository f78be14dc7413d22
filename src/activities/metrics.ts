// Metric activity: one window of per-variant statistics for the analysis loop.
import type { MetricProvider } from './metric-provider';
import type { WindowStats } from '../analysis/stats';

export function createMetricActivities(deps: { provider: MetricProvider }) {
  async function collectWindow(input: { route: string; fromMs: number; toMs: number }): Promise<WindowStats> {
    return deps.provider.windowStats(input.route, input.fromMs, input.toMs);
  }
  return { collectWindow };
}

export type MetricActivities = ReturnType<typeof createMetricActivities>;
