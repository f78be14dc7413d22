// The ends of a rollout: promote, roll back, or tear down after a failure or cancellation.
// All run in non-cancellable scopes with cleanup retry policies: they must complete.
import type { RolloutContext } from './rollout-context';
import { cleanupTraffic, hostCleanup } from './activity-proxies';
import { note, type Outcome, type RolloutStatus } from './rollout-state';
import { enter } from './pipeline';

export interface RolloutResult {
  outcome: Outcome;
  reason: string;
  status: RolloutStatus;
}

export async function promote(ctx: RolloutContext): Promise<void> {
  const { spec, status } = ctx;
  enter(ctx, 'Promoting', 'promote: the candidate becomes the stable');
  const { previousStable } = await cleanupTraffic.promoteCandidate({ route: spec.route });
  status.weight = 0;
  status.shadowRate = 0;
  if (previousStable.deployment) {
    await hostCleanup(previousStable.deployment.host).stopModelServer({ deploymentId: previousStable.deployment.id });
    note(status, Date.now(), `stopped the previous stable server ${previousStable.deployment.id}`);
  }
}

export async function rollback(ctx: RolloutContext, reason: string): Promise<void> {
  ctx.status.reason = reason;
  enter(ctx, 'RollingBack', `roll back: ${reason}`);
  await teardownCandidate(ctx, 'RollingBack');
}

/**
 * Candidate weight to 0 first, then its server: users leave the candidate before it goes away.
 * Keyed by the deployment id, not the start result, so a start cut short by a rollback is stopped too.
 */
export async function teardownCandidate(ctx: RolloutContext, why: string): Promise<void> {
  const { spec, status } = ctx;
  if (status.candidateDeploymentId === null) return;
  await cleanupTraffic.detachCandidate({ route: spec.route, rolloutId: status.rolloutId });
  status.weight = 0;
  status.shadowRate = 0;
  await hostCleanup(spec.candidate.host).stopModelServer({ deploymentId: status.candidateDeploymentId });
  note(status, Date.now(), `${why}: candidate detached and stopped`);
}

/** A rollout's schedules end with it. */
export async function removeSchedules(ctx: RolloutContext): Promise<void> {
  const { deleted } = await cleanupTraffic.deleteRolloutSchedules({ rolloutId: ctx.status.rolloutId });
  if (deleted.length) note(ctx.status, Date.now(), `deleted schedules ${deleted.join(', ')}`);
}
