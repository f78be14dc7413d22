// After a promotion with `promotion.keepPrevious`: the replaced stable keeps serving for the window,
// and a `revert` sends the route back to it at once and then stops the promoted server (the outcome
// becomes RolledBack). When the window ends without one, the previous stable is stopped.
import { CancellationScope, condition, isCancellation, upsertMemo } from '@temporalio/workflow';
import type { RolloutContext } from './rollout-context';
import { cleanupTraffic, hostCleanup } from './activity-proxies';
import { notify } from './notify';
import { recordOutcome, type RolloutResult } from './finish';
import { statusView } from './state/status-view';
import { describeFailure } from './failures';

async function release(ctx: RolloutContext): Promise<void> {
  const kept = ctx.rollout.state.kept;
  if (!kept || kept.ended !== null) return;
  await hostCleanup(kept.host).stopModelServer({ deploymentId: kept.deploymentId });
  ctx.rollout.previousReleased();
}

/** Users are on the previous stable before the promoted server goes away. */
async function revert(ctx: RolloutContext, by: string, reason: string): Promise<void> {
  const { rollout, spec } = ctx;
  const kept = rollout.state.kept;
  if (!kept) return;
  await cleanupTraffic.restoreStable({
    route: spec.route,
    rolloutId: rollout.state.rolloutId,
    stable: { endpoint: kept.endpoint, host: kept.host, deploymentId: kept.deploymentId },
  });
  await hostCleanup(kept.promoted.host).stopModelServer({ deploymentId: kept.promoted.deploymentId });
  rollout.reverted(by, reason);
}

export async function keepPreviousWindow(ctx: RolloutContext, promoted: RolloutResult): Promise<RolloutResult> {
  const { rollout, control, spec } = ctx;
  for (;;) {
    const kept = rollout.state.kept;
    if (!kept || kept.ended !== null) return promoted;
    let requested: boolean;
    try {
      requested = await condition(() => control.revert !== null, Math.max(1, kept.until - Date.now()));
    } catch (error) {
      // Cancelled while keeping: the promotion stands, and the previous stable is not left behind.
      if (isCancellation(error)) await CancellationScope.nonCancellable(() => release(ctx));
      throw error;
    }
    if (!requested || !control.revert) {
      await CancellationScope.nonCancellable(() => release(ctx));
      return { ...promoted, status: statusView(rollout.state, Date.now()) };
    }
    const { by, reason } = control.revert;
    control.revert = null;
    try {
      await CancellationScope.nonCancellable(() => revert(ctx, by, reason));
    } catch (error) {
      // e.g. another rollout took the route meanwhile: the promotion stands, the window goes on.
      const { message } = describeFailure(error);
      rollout.note(`the revert by ${by} failed: ${message}`);
      void notify(ctx, 'failed', 'CRITICAL', `the revert by ${by} failed: ${message}`);
      continue;
    }
    upsertMemo({ route: spec.route, outcome: 'RolledBack' });
    await CancellationScope.nonCancellable(() => recordOutcome(ctx));
    const result = rollout.state.result;
    const why = result?.reason ?? `reverted after promotion by ${by}: ${reason}`;
    await notify(ctx, 'rolled-back', 'CRITICAL', `RolledBack: ${why}`);
    return { outcome: 'RolledBack', reason: why, status: statusView(rollout.state, Date.now()) };
  }
}
