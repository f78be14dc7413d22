// The candidate's server on its host, healthy within readyTimeout, attached to the route with no
// traffic yet. Its deployment id is recorded first, so a start cut short is still cleaned up.
import { hostActivities } from '../activity-proxies';
import { onRelease2 } from '../release';
import { ensureStable } from './stable-check';
import { setTraffic } from './traffic';
import { artifactOf, enter, holdWhilePaused, type Stage } from './stage';

export const deployStage: Stage = {
  name: 'deploy',
  async run(ctx) {
    const { spec, rollout } = ctx;
    await holdWhilePaused(ctx);
    enter(ctx, 'deploy', `deploy the candidate on ${spec.candidate.host}`);
    // A rollout started on the first release had no stable check stage: it made sure the route
    // existed here. Replaying such a history does just that; running on, it checks the stable too.
    if (rollout.state.stable === null) await ensureStable(ctx, onRelease2());
    const deploymentId = `${rollout.state.rolloutId}-candidate`;
    rollout.candidateDeploying(deploymentId, spec.candidate.host);
    const deployment = await hostActivities(spec.candidate.host, spec.candidate.readyTimeout).startModelServer({
      deploymentId,
      modelPath: artifactOf(ctx).path,
      engine: spec.candidate.engine,
      servedName: spec.route,
      options: spec.candidate.server,
      readyTimeoutMs: spec.candidate.readyTimeout,
    });
    rollout.candidateServing(deployment);
    await setTraffic(ctx, 0, 0);
    return undefined;
  },
};
