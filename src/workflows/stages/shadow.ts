// The shadow phase: live traffic mirrored to the candidate off the users' path, both answers
// recorded as pairs, users served by the stable only. It ends after its duration with enough pairs.
// Too few pairs counted is too little evidence (a metric outage over the whole phase counts none,
// little traffic counts few), never a rollback: the phase goes on as long again, and past
// `analysis.inconclusiveLimit` extensions the rollout also pauses and alerts.
import { patched } from '@temporalio/workflow';
import { formatDuration } from '../../config/duration';
import type { RolloutContext } from '../rollout-context';
import { extendedForEvidence } from '../self-pause';
import { runWait } from '../waits';
import { setTraffic } from './traffic';
import { enter, holdWhilePaused, stopped, type Stage } from './stage';
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
      for (;;) {
        // A shadow extension lasts as long as the phase did, at least one analysis interval.
        const durationMs = Math.max(shadow.duration, ctx.rollout.state.shadowExtensions ? ctx.spec.analysis.interval : 0);
        const outcome = await runWait(ctx, { kind: 'shadow', endsOn: 'time', durationMs, analysis: 'shadow', minPairs: shadow.minPairs });
        const stop = stopped(outcome, 'shadow analysis');
        if (stop) return stop;
        const short = shortOfPairs(ctx, shadow.minPairs, outcome.kind === 'ended' && outcome.forced);
        if (short === null) break;
        if (!patched(SHADOW_EXTENDS)) return { promote: false, reason: short };
        extendShadow(ctx, short, durationMs);
      }
    }
    return qualityGate(ctx, 'shadow');
  },
};

/** Histories written before short shadows were extended rolled back on too few pairs; they replay that way. */
const SHADOW_EXTENDS = 'gantry-short-shadow-extends';

/** Why the phase is short of pairs; null when it has enough. */
function shortOfPairs(ctx: RolloutContext, minPairs: number, forced: boolean): string | null {
  const pairs = ctx.rollout.state.totals.shadow.pairs;
  if (pairs >= minPairs) return null;
  if (forced) {
    ctx.rollout.note(`shadow pair minimum waived by a forced advance (${pairs} of ${minPairs})`);
    return null;
  }
  return `shadow phase recorded ${pairs} pairs, fewer than the ${minPairs} required`;
}

function extendShadow(ctx: RolloutContext, short: string, durationMs: number): void {
  const extension = ctx.rollout.shadowExtended();
  extendedForEvidence(
    ctx,
    extension,
    short,
    `shadow phase extended for ${formatDuration(durationMs)} (extension ${extension})`,
    'Find why no pairs are counted (traffic, the mirror, metrics), then resume to extend it again, advance with force, or roll back.',
  );
}
