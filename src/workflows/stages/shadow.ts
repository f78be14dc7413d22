// The shadow phase: live traffic mirrored to the candidate off the users' path, both answers
// recorded as pairs, users served by the stable only. It ends after its duration with enough pairs.
import type { RolloutContext } from '../rollout-context';
import { runWait } from '../waits';
import { setTraffic } from './traffic';
import { enter, holdWhilePaused, stopped, type Decision, type Stage } from './stage';
import { qualityGate } from './quality-gate';

export const shadowStage: Stage = {
  name: 'shadow',
  async run(ctx) {
    const shadow = ctx.spec.shadow;
    if (!shadow) return undefined;
    if (!ctx.rollout.state.wait) {
      await holdWhilePaused(ctx);
      enter(ctx, 'shadow', `shadow ${Math.round(shadow.sampleRate * 100)}% of traffic for ${shadow.duration}ms`);
    }
    await setTraffic(ctx, 0, shadow.sampleRate);
    // A run that continued as new at the quality gate, or waiting for the eval set, is past the soak.
    const pastSoak = ctx.rollout.state.wait?.kind === 'quality-gate' || ctx.rollout.state.wait?.kind === 'eval-set';
    if (!pastSoak) {
      const outcome = await runWait(ctx, { kind: 'shadow', endsOn: 'time', durationMs: shadow.duration, analysis: 'shadow', minPairs: shadow.minPairs });
      const decision = stopped(outcome, 'shadow analysis') ?? enoughPairs(ctx, shadow.minPairs, outcome.kind === 'ended' && outcome.forced);
      if (decision) return decision;
    }
    return qualityGate(ctx, 'shadow');
  },
};

function enoughPairs(ctx: RolloutContext, minPairs: number, forced: boolean): Decision | undefined {
  const pairs = ctx.rollout.state.totals.shadow.pairs;
  if (pairs >= minPairs) return undefined;
  if (forced) {
    ctx.rollout.note(`shadow pair minimum waived by a forced advance (${pairs} of ${minPairs})`);
    return undefined;
  }
  return { promote: false, reason: `shadow phase recorded ${pairs} pairs, fewer than the ${minPairs} required` };
}
