// The stable is checked before anything moves: a candidate compared with a dead stable always looks
// good. A managed stable that is gone is brought back from its deployment record on its host, or
// from the spec's `stable`, and the route re-pointed; an external one must answer the gateway's
// probe. If neither works the rollout fails here, naming the stable, before any traffic moves; so
// does a metric source the spec names that cannot answer, or a custom query that does not parse.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { FailureType } from '../../errors';
import type { RouteSummary, StableTarget } from '../../activities/traffic';
import type { Deployment } from '../../activities/model-host';
import { hostActivities, hostCheck, traffic } from '../activity-proxies';
import type { RolloutContext } from '../rollout-context';
import { notify } from '../notify';
import { describeFailure } from '../failures';
import { onRelease2 } from '../release';
import { enter, holdWhilePaused, type Stage } from './stage';
import { checkMetricSources } from '../custom-metrics';

const STABLE_READY_TIMEOUT_MS = 120_000;

export const stableCheckStage: Stage = {
  name: 'stable',
  async run(ctx) {
    // Histories of the first release have no such stage: their replay skips it.
    if (!onRelease2()) return undefined;
    await holdWhilePaused(ctx);
    enter(ctx, 'stable', `check the stable of route ${ctx.spec.route}`);
    await ensureStable(ctx, true);
    await checkMetricSources(ctx);
    return undefined;
  },
};

/**
 * Makes sure the route exists and, with `check`, that its stable serves. The first release only
 * created a missing route (its histories call this with check false, from the deploy stage).
 */
export async function ensureStable(ctx: RolloutContext, check: boolean): Promise<void> {
  const { spec, rollout } = ctx;
  const route = await traffic.getRoute({ route: spec.route });
  if (!route) {
    const created = await stableFromSpec(ctx, `the route does not exist on the gateway`);
    await traffic.createRoute({ route: spec.route, stable: created.target });
    rollout.stableChecked({ ...created.record, found: 'created' });
    rollout.note(`route ${spec.route} created with its stable ${created.record.endpoint}`);
    return;
  }
  if (!check) return;
  if (route.stable.deployment) await checkManagedStable(ctx, route, route.stable.deployment);
  else await checkExternalStable(ctx, route);
}

async function checkManagedStable(ctx: RolloutContext, route: RouteSummary, deployment: { host: string; deploymentId: string }): Promise<void> {
  const { spec, rollout } = ctx;
  const name = `${deployment.deploymentId} on host ${deployment.host}`;
  const found = await hostCheck(deployment.host, STABLE_READY_TIMEOUT_MS).ensureDeployment({
    deploymentId: deployment.deploymentId,
    readyTimeoutMs: STABLE_READY_TIMEOUT_MS,
  });
  if (found.state === 'missing') {
    const created = await stableFromSpec(ctx, `the stable ${name} is not serving (${found.detail})`);
    await traffic.setStable({ route: spec.route, stable: created.target });
    rollout.stableChecked({ ...created.record, found: 'created' });
    rollout.note(`the stable ${name} was gone (${found.detail}); brought up ${created.record.endpoint} from the spec and re-pointed the route`);
    void notify(ctx, 'phase', 'WARNING', `route ${spec.route}: the stable ${name} was gone; replaced from the spec's stable`);
    return;
  }
  const serving = found.deployment;
  if (serving.endpoint !== route.stable.endpoint)
    await traffic.setStable({ route: spec.route, stable: { deployment: serving, label: route.stable.label ?? 'stable' } });
  rollout.stableChecked({ kind: 'managed', host: serving.host, deploymentId: serving.deploymentId, endpoint: serving.endpoint, found: found.state });
  if (found.state === 'restored') {
    rollout.note(`the stable ${name} was not running: restarted from its record at ${serving.endpoint}`);
    void notify(ctx, 'phase', 'WARNING', `route ${spec.route}: the stable ${name} was not running and was restarted from its record`);
  } else rollout.note(`the stable ${name} is serving at ${serving.endpoint}`);
}

async function checkExternalStable(ctx: RolloutContext, route: RouteSummary): Promise<void> {
  const { spec, rollout } = ctx;
  const health = await traffic.routeHealth({ route: spec.route, probeNow: true });
  if (health.stable.healthy === false) {
    const created = await stableFromSpec(ctx, `the stable ${route.stable.endpoint} does not answer (${health.stable.detail})`);
    await traffic.setStable({ route: spec.route, stable: created.target });
    rollout.stableChecked({ ...created.record, found: 'created' });
    rollout.note(`the stable ${route.stable.endpoint} did not answer; re-pointed the route to ${created.record.endpoint} from the spec`);
    return;
  }
  rollout.stableChecked({ kind: 'external', host: null, deploymentId: null, endpoint: route.stable.endpoint, found: 'healthy' });
  rollout.note(`the stable ${route.stable.endpoint} answers the gateway's probe`);
}

interface CreatedStable {
  target: StableTarget;
  record: { kind: 'managed' | 'external'; host: string | null; deploymentId: string | null; endpoint: string };
}

/** Brings the spec's stable up (or names its endpoint); without one, the rollout cannot go on. */
async function stableFromSpec(ctx: RolloutContext, why: string): Promise<CreatedStable> {
  const { spec, rollout } = ctx;
  const stable = spec.stable;
  if (!stable) {
    throw ApplicationFailure.nonRetryable(`route "${spec.route}": ${why}, and the spec names no stable to bring up`, FailureType.STABLE_UNAVAILABLE);
  }
  if ('endpoint' in stable) {
    return {
      // `apiKey` is refused in new specs; rollouts started before keep the key they were given.
      target: { endpoint: stable.endpoint, apiKeyEnv: stable.apiKeyEnv, apiKey: stable.apiKey, label: 'stable (external)' },
      record: { kind: 'external', host: null, deploymentId: null, endpoint: stable.endpoint },
    };
  }
  let deployment: Deployment;
  try {
    deployment = await hostActivities(stable.host).startModelServer({
      deploymentId: `${spec.route}-stable-${rollout.state.rolloutId}`,
      modelPath: stable.model,
      engine: stable.engine,
      servedName: spec.route,
      options: stable.server,
      readyTimeoutMs: STABLE_READY_TIMEOUT_MS,
    });
  } catch (error) {
    if (isCancellation(error)) throw error;
    const cause = describeFailure(error).message;
    throw ApplicationFailure.nonRetryable(
      `route "${spec.route}": ${why}, and the spec's stable ${stable.model} could not be started: ${cause}`,
      FailureType.STABLE_UNAVAILABLE,
    );
  }
  return {
    target: { deployment, label: `stable ${stable.model}` },
    record: { kind: 'managed', host: deployment.host, deploymentId: deployment.deploymentId, endpoint: deployment.endpoint },
  };
}
