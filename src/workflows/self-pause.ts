// Gantry pausing a rollout on its own (no usable evidence, an inconclusive canary): the pause is
// audited, on the timeline, and alerted; analysis goes on while paused. And the extensions of a
// phase that gathered too little evidence, which end in such a pause past their limit.
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

/**
 * A phase extended for want of evidence (an inconclusive evaluation, a shadow short of pairs): said
 * on the timeline and notified as a WARNING; past `analysis.inconclusiveLimit` extensions the rollout
 * also pauses and alerts CRITICAL. Never a rollback of a candidate nobody measured worse.
 */
export function extendedForEvidence(ctx: RolloutContext, extension: number, why: string, more: string, advice: string): void {
  const { rollout, spec } = ctx;
  const limit = spec.analysis.inconclusiveLimit;
  rollout.note(`${why}: ${more}`);
  if (extension > limit && !rollout.state.paused) {
    pauseWithAlert(ctx, `${why} after ${limit} extension${limit === 1 ? '' : 's'} (inconclusiveLimit ${limit})`, 'CRITICAL', advice);
  } else {
    void notify(ctx, 'phase', 'WARNING', `${why}: ${more}`);
  }
}
