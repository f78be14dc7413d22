// Moving users: the candidate's weight and shadow rate, set whole through the traffic seam.
import { traffic } from '../activity-proxies';
import type { RolloutContext } from '../rollout-context';
import { candidateOf } from './stage';

/** Weight and shadow rate; in the canary, a reverse-shadow rate keeps quality pairs coming. */
export async function setTraffic(ctx: RolloutContext, weight: number, shadowRate: number, reverseShadowRate = 0): Promise<void> {
  const { rollout, spec } = ctx;
  await traffic.setCandidateTraffic({
    route: spec.route,
    rolloutId: rollout.state.rolloutId,
    candidate: candidateOf(ctx),
    weight,
    shadowRate,
    reverseShadowRate,
    // The noise floor's A/A arm runs wherever quality pairs are being recorded.
    aaRate: shadowRate > 0 || reverseShadowRate > 0 ? (spec.quality?.aaRate ?? 0) : 0,
    options: spec.gateway,
  });
  rollout.trafficSet(weight, shadowRate);
}
