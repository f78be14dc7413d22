// What the orchestrator tells Prometheus about the rollouts it runs, in the text format: one
// series per running rollout (its route and phase), the time a paused one was paused, and whether
// the last look at them succeeded — so "paused too long" is an alert rule, and a blind exporter is
// one too. Pure: the exporter does the listing and the HTTP.
import { labelValue } from '../prometheus-text';

export interface RolloutGauge {
  rolloutId: string;
  route: string;
  phase: string;
  /** null while not paused */
  paused: { sinceMs: number; by: string } | null;
}

export interface RolloutSnapshot {
  /** when the rollouts were last listed and asked, successfully */
  readAtMs: number | null;
  ok: boolean;
  gauges: RolloutGauge[];
}

export const ROLLOUT_METRICS = {
  info: 'gantry_rollout_info',
  pausedSince: 'gantry_rollout_paused_since_timestamp_seconds',
  readOk: 'gantry_rollouts_read_ok',
  readAt: 'gantry_rollouts_read_timestamp_seconds',
} as const;

export function rolloutExposition(snapshot: RolloutSnapshot): string {
  const lines = [`# HELP ${ROLLOUT_METRICS.info} A running rollout, by route and phase (always 1)`, `# TYPE ${ROLLOUT_METRICS.info} gauge`];
  for (const g of snapshot.gauges) {
    lines.push(`${ROLLOUT_METRICS.info}{rollout=${labelValue(g.rolloutId)},route=${labelValue(g.route)},phase=${labelValue(g.phase)}} 1`);
  }
  lines.push(
    `# HELP ${ROLLOUT_METRICS.pausedSince} When a running rollout was paused, and by whom (an operator's name, or gantry), in Unix seconds`,
    `# TYPE ${ROLLOUT_METRICS.pausedSince} gauge`,
  );
  for (const g of snapshot.gauges) {
    if (!g.paused) continue;
    lines.push(
      `${ROLLOUT_METRICS.pausedSince}{rollout=${labelValue(g.rolloutId)},route=${labelValue(g.route)},paused_by=${labelValue(g.paused.by)}} ${g.paused.sinceMs / 1000}`,
    );
  }
  lines.push(
    `# HELP ${ROLLOUT_METRICS.readOk} Whether the orchestrator's last look at its running rollouts succeeded`,
    `# TYPE ${ROLLOUT_METRICS.readOk} gauge`,
    `${ROLLOUT_METRICS.readOk} ${snapshot.ok ? 1 : 0}`,
  );
  if (snapshot.readAtMs !== null) {
    lines.push(
      `# HELP ${ROLLOUT_METRICS.readAt} When the running rollouts were last read, in Unix seconds`,
      `# TYPE ${ROLLOUT_METRICS.readAt} gauge`,
      `${ROLLOUT_METRICS.readAt} ${snapshot.readAtMs / 1000}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
