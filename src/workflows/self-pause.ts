// Gantry pausing a rollout on its own (no usable evidence, an inconclusive canary): the pause is
// audited, on the timeline, and alerted; analysis goes on while paused.
import { log } from '@temporalio/workflow';
import type { AlertLevel } from '../config/spec';
import { notify } from './notify';
import type { RolloutContext } from './rollout-context';

/** Pauses (analysis goes on) and alerts, unless already paused: an operator fixes the cause, then resumes or rolls back. */
export function pauseWithAlert(ctx: RolloutContext, reason: string, level: AlertLevel, advice = 'Fix the cause, then resume (or roll back).'): void {
  const { rollout } = ctx;
  if (rollout.state.paused) return;
  rollout.pause('gantry', reason);
  rollout.audit({ by: 'gantry', action: 'pause', reason });
  rollout.note(`paused: ${reason}`);
  log.warn('rollout paused by gantry', { rolloutId: rollout.state.rolloutId, reason });
  void notify(ctx, 'paused', level, `paused by gantry: ${reason}. ${advice}`);
}
