// The evaluation: the promotion rules over the whole canary, compared only with windows whose
// stable was healthy. Every rule must hold; a rule without data blocks promotion. A canary that
// left too little evidence (a metric outage over all of it, too little traffic) is Inconclusive:
// never a rollback of a candidate nobody measured worse. The canary goes on at its last weight and
// is evaluated again; past `inconclusiveLimit` extensions the rollout also pauses and alerts.
import { patched } from '@temporalio/workflow';
import { decidePromotion, evidenceOf, type PromotionDecision } from '../../analysis/promotion-decision';
import { formatDuration } from '../../config/duration';
import type { RolloutContext } from '../rollout-context';
import { extendedForEvidence } from '../self-pause';
import { runWait } from '../waits';
import { enter, stopped, type Decision, type Stage } from './stage';
import { qualityGate } from './quality-gate';

/** Histories written before inconclusive evaluations existed rolled back on them; they replay that way. */
const INCONCLUSIVE_EXTENDS = 'gantry-inconclusive-evaluation-extends';

export const evaluationStage: Stage = {
  name: 'evaluation',
  async run(ctx) {
    const { rollout, spec } = ctx;
    // A run that continued as new at the quality gate, or waiting for the eval set, has evaluated already.
    if (rollout.state.wait?.kind === 'quality-gate' || rollout.state.wait?.kind === 'eval-set') return qualityGate(ctx, 'promotion');
    // A run that continued as new while extending the canary picks the extension up.
    let extending = rollout.state.wait?.kind === 'soak';
    if (!extending) enter(ctx, 'evaluation', 'evaluate the whole canary against the promotion rules');
    for (;;) {
      if (extending) {
        const stop = await extendCanary(ctx);
        if (stop) return stop;
      }
      const totals = rollout.state.totals.canary;
      const decision = decidePromotion(totals.stable, totals.candidate, spec.analysis.promote, spec.analysis.cost);
      rollout.evaluated(decision);
      const evidence = evidenceOf(decision);
      if (evidence === 'promote') return qualityGate(ctx, 'promotion');
      if (evidence === 'fail' || !patched(INCONCLUSIVE_EXTENDS)) return { promote: false, reason: `evaluation: ${decision.reasons.join('; ')}` };
      beginExtension(ctx, decision);
      extending = true;
    }
  },
};

/** How long one extension soaks: the last canary step's duration, at least one analysis interval. */
function extensionMs(ctx: RolloutContext): number {
  const last = ctx.spec.canary.steps.at(-1);
  return Math.max(last?.duration ?? 0, ctx.spec.analysis.interval);
}

function beginExtension(ctx: RolloutContext, decision: PromotionDecision): void {
  const { rollout } = ctx;
  const extension = rollout.evaluationExtended();
  extendedForEvidence(
    ctx,
    extension,
    `evaluation inconclusive (${decision.reasons.join('; ')})`,
    `canary extended at ${rollout.state.weight}% for ${formatDuration(extensionMs(ctx))}, then evaluated again (extension ${extension})`,
    'Find why the canary gets no evidence (traffic, metrics), then resume to extend it again, or roll back.',
  );
}

/** One extension: the canary keeps its weight and is judged every interval; a breach still rolls back. */
async function extendCanary(ctx: RolloutContext): Promise<Decision | undefined> {
  const where = `canary extension ${ctx.rollout.state.evaluationExtensions ?? 1} (${ctx.rollout.state.weight}%)`;
  return stopped(await runWait(ctx, { kind: 'soak', endsOn: 'time', durationMs: extensionMs(ctx), analysis: 'canary' }), where);
}
