// The ends of a rollout: promote, roll back, or tear down after a failure or cancellation.
// All run in non-cancellable scopes with cleanup retry policies: they must complete.
import type { RolloutContext } from './rollout-context';
import { cleanupTraffic, hostActivities, hostCleanup } from './activity-proxies';
import { notify } from './notify';
import { publishProgress } from './visibility';
import { stopJudge } from './quality';
import type { Outcome, RolloutState } from './state/rollout-state';
import type { RolloutStatus } from './state/status-view';
import { log } from '@temporalio/workflow';

export interface RolloutResult {
  outcome: Outcome;
  reason: string;
  status: RolloutStatus;
}

function closing(ctx: RolloutContext, kind: 'Promoting' | 'RollingBack', message: string): void {
  ctx.rollout.close(kind, message);
  publishProgress(ctx);
  log.info(message, { rolloutId: ctx.rollout.state.rolloutId, phase: kind });
  void notify(ctx, 'phase', 'INFO', message);
}

export async function promote(ctx: RolloutContext): Promise<void> {
  const { spec, rollout } = ctx;
  closing(ctx, 'Promoting', 'promote: the candidate becomes the stable');
  const { previousStable } = await cleanupTraffic.promoteCandidate({ route: spec.route });
  rollout.trafficSet(0, 0);
  // With keepPrevious the replaced stable keeps serving, so a revert is one route change away.
  const keepMs = spec.promotion.keepPrevious;
  const promoted = rollout.state.candidate;
  if (keepMs && previousStable.deployment && previousStable.endpoint && promoted) {
    rollout.previousKept({
      host: previousStable.deployment.host,
      deploymentId: previousStable.deployment.id,
      endpoint: previousStable.endpoint,
      promoted: { host: promoted.host, deploymentId: promoted.deploymentId },
      until: Date.now() + keepMs,
    });
    return;
  }
  if (previousStable.deployment) {
    await hostCleanup(previousStable.deployment.host).stopModelServer({ deploymentId: previousStable.deployment.id });
    rollout.note(`stopped the previous stable server ${previousStable.deployment.id}`);
  }
}

export async function rollback(ctx: RolloutContext, reason: string): Promise<void> {
  closing(ctx, 'RollingBack', `roll back: ${reason}`);
  await teardownCandidate(ctx, 'RollingBack');
}

/**
 * Candidate weight to 0 first, then its server: users leave the candidate before it goes away.
 * Keyed by the deployment id and host recorded when the deployment began, so a start cut short by a
 * rollback is stopped too.
 */
export async function teardownCandidate(ctx: RolloutContext, why: string): Promise<void> {
  const { spec, rollout } = ctx;
  const candidate: RolloutState['candidate'] | null = rollout.state.candidate;
  if (candidate === null) return;
  await cleanupTraffic.detachCandidate({ route: spec.route, rolloutId: rollout.state.rolloutId });
  rollout.trafficSet(0, 0);
  await hostCleanup(candidate.host).stopModelServer({ deploymentId: candidate.deploymentId });
  rollout.note(`${why}: candidate detached and stopped`);
}

/**
 * The artifact's record on its host learns what this rollout found: QA, quantization loss, the
 * outcome. Best effort: a host that is gone costs the record a line, never the rollout its end.
 */
export async function recordOutcome(ctx: RolloutContext): Promise<void> {
  const { rollout, spec } = ctx;
  const { artifact, qa, quantLoss, result } = rollout.state;
  if (!artifact?.record || !result) return;
  try {
    await hostActivities(spec.candidate.host).annotateArtifact({
      record: artifact.record,
      rolloutId: rollout.state.rolloutId,
      ...(qa
        ? {
            qa: {
              summary: qa.summary,
              accuracy: qa.accuracy,
              stableAccuracy: qa.stable?.accuracy ?? null,
              score: qa.score?.value ?? null,
              decision: qa.decision ?? (qa.passedGate ? 'pass' : 'block'),
            },
          }
        : {}),
      ...(quantLoss ? { quantLossVerdict: { passed: quantLoss.verdict.passed, summary: quantLoss.verdict.summary } } : {}),
      outcome: { result: result.outcome, reason: result.reason },
    });
  } catch (error) {
    rollout.note(`the artifact record ${artifact.record} was not updated: ${(error as Error).message}`);
  }
}

/** A rollout's schedules end with it, and so does a judge it served for itself. */
export async function removeSchedules(ctx: RolloutContext): Promise<void> {
  await stopJudge(ctx);
  const { deleted } = await cleanupTraffic.deleteRolloutSchedules({ rolloutId: ctx.rollout.state.rolloutId });
  if (deleted.length) ctx.rollout.note(`deleted schedules ${deleted.join(', ')}`);
}
