// Before promotion: an approval gate when the spec asks for one, and a paused rollout holds here,
// still judged every interval. On release 2 the stable must be healthy too: promoting on evidence
// gathered against a sick baseline is refused, and the rollout pauses and alerts until it recovers.
import type { RolloutContext } from '../rollout-context';
import { onRelease2 } from '../release';
import { runWait } from '../waits';
import { enter, stopped, type Decision, type Stage } from './stage';

export const approvalStage: Stage = {
  name: 'approval',
  async run(ctx) {
    const { rollout, spec } = ctx;
    const release2 = onRelease2();
    // The first release showed the promotion gate as part of the evaluation, without a notification.
    if (spec.promotion.requireApproval || rollout.state.paused) enter(ctx, 'approval', 'before promotion', !release2);
    // A run that continued as new in one of the holds below is past the gate already.
    const pastGate = rollout.state.wait?.kind === 'soak';
    if (spec.promotion.requireApproval && !pastGate) {
      const stop = stopped(
        await runWait(ctx, {
          kind: 'promotion-gate',
          endsOn: 'approve',
          durationMs: null,
          analysis: 'canary',
          gateTimeoutMs: spec.promotion.approvalTimeout,
          onTimeout: spec.promotion.onTimeout,
        }),
        'promotion approval',
      );
      if (stop) return stop;
    }
    return (await holdWhileBaselineSick(ctx, release2)) ?? holdBeforePromotion(ctx);
  },
};

/**
 * Evidence gathered against a sick stable proves nothing: promotion waits, still judged every
 * interval, until a window finds the stable healthy. Repeated sick windows pause and alert (analysis.ts).
 */
async function holdWhileBaselineSick(ctx: RolloutContext, release2: boolean): Promise<Decision | undefined> {
  const { rollout, spec } = ctx;
  const sick = (): boolean => rollout.state.analysis.last?.baselineHealthy === false || rollout.state.analysis.stableProbe?.healthy === false;
  if (!release2 || !sick()) return undefined;
  rollout.note('promotion held: the last analysis found the stable unhealthy');
  while (sick()) {
    const stop = stopped(await runWait(ctx, { kind: 'soak', endsOn: 'time', durationMs: spec.analysis.interval, analysis: 'canary' }), 'before promotion');
    if (stop) return stop;
  }
  return undefined;
}

/** Promotion moves traffic: a paused rollout holds here, still judged every interval. */
async function holdBeforePromotion(ctx: RolloutContext): Promise<Decision | undefined> {
  if (!ctx.rollout.state.paused) return undefined;
  return stopped(await runWait(ctx, { kind: 'soak', endsOn: 'time', durationMs: 0, analysis: 'canary' }), 'before promotion');
}
