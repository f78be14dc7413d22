// Moving users: the candidate's weight and shadow rate, set whole through the traffic seam.
import { traffic } from '../activity-proxies';
import type { RolloutContext } from '../rollout-context';
import { candidateOf } from './stage';

export async function setTraffic(ctx: RolloutContext, weight: number, shadowRate: number): Promise<void> {
  const { rollout, spec } = ctx;
  await traffic.setCandidateTraffic({
    route: spec.route,
    rolloutId: rollout.state.rolloutId,
    candidate: candidateOf(ctx),
    weight,
    shadowRate,
    options: spec.gateway,
  });
  rollout.trafficSet(weight, shadowRate);
}
