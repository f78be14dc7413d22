// Custom metrics (`analysis.metrics`): each PromQL query read at the window's end, judged by its
// condition, its standing kept in the state. A rule that failed failureLimit times in a row rolls
// back; one that could not be read, or found no sample, too many times in a row pauses and alerts.
import { actionFor, judgeMetric, nextStanding, renderQuery, type MetricReading } from '../analysis/metric-verdict';
import { metrics } from './activity-proxies';
import { describeFailure } from './failures';
import { pauseWithAlert } from './self-pause';
import { notify } from './notify';
import type { RolloutContext } from './rollout-context';

/**
 * Before traffic moves: every custom query must parse and the sources the spec names must answer.
 * A rollout whose measurements cannot be taken fails here, having moved nothing.
 */
export async function checkMetricSources(ctx: RolloutContext): Promise<void> {
  const { spec, rollout } = ctx;
  const { provider } = spec.analysis;
  const rules = spec.analysis.metrics;
  if (rules.length === 0 && provider === undefined) return;
  const values = { route: spec.route, rolloutId: rollout.state.rolloutId, intervalMs: spec.analysis.interval };
  const queries = rules.map((rule) => ({ name: rule.name, query: renderQuery(rule.query, values) }));
  await metrics.checkMetricSources({ route: spec.route, ...(provider ? { provider } : {}), queries, atMs: Date.now() });
  const checked = [
    ...(provider ? [`the ${provider} measurements`] : []),
    ...(rules.length ? [`${rules.length} custom metric${rules.length > 1 ? 's' : ''}`] : []),
  ];
  rollout.note(`metric sources answer: ${checked.join(' and ')}`);
}

/** Reads every custom metric at `atMs`; a read that fails is an Error reading, never a throw. */
export function readCustomMetrics(ctx: RolloutContext, atMs: number): Promise<MetricReading[]> {
  const { spec, rollout } = ctx;
  const values = { route: spec.route, rolloutId: rollout.state.rolloutId, intervalMs: spec.analysis.interval };
  return Promise.all(
    spec.analysis.metrics.map(async (rule): Promise<MetricReading> => {
      try {
        return await metrics.queryMetric({ name: rule.name, query: renderQuery(rule.query, values), atMs });
      } catch (error) {
        return { error: describeFailure(error).message };
      }
    }),
  );
}

/** Judges the readings; returns the reason to roll back, if a rule asks for it (pauses are done here). */
export function judgeCustomMetrics(ctx: RolloutContext, readings: readonly MetricReading[], atMs: number): { reason: string; emergency: boolean } | null {
  const { spec, rollout } = ctx;
  let rollback: { reason: string; emergency: boolean } | null = null;
  spec.analysis.metrics.forEach((rule, index) => {
    const reading = readings[index] ?? { error: 'not read' };
    const standing = nextStanding(rollout.metricStanding(rule.name), judgeMetric(rule, reading), rule.name, atMs);
    rollout.metricMeasured(standing);
    const action = actionFor(rule, standing);
    if (action?.kind === 'rollback') {
      const emergency = action.emergency === true;
      // An emergency wins over a critical failure found in the same interval: it rolls back at once.
      if (rollback === null || (emergency && !rollback.emergency)) rollback = { reason: `metric ${action.reason}`, emergency };
      if (action.emergency) void notify(ctx, 'rolled-back', 'EMERGENCY', `rolling back at once: metric ${action.reason}`);
    } else if (action?.kind === 'pause') pauseWithAlert(ctx, `metric ${action.reason}`, standing.verdict === 'Error' ? 'CRITICAL' : 'WARNING');
    else if (action?.kind === 'warn') {
      rollout.note(`warning: metric ${action.reason}`);
      void notify(ctx, 'phase', 'WARNING', `metric ${action.reason}`);
    }
  });
  return rollback;
}
