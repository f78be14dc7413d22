// The evaluation: the promotion rules over the whole canary, compared only with windows whose
// stable was healthy. Every rule must hold; a rule without data blocks promotion.
import { decidePromotion } from '../../analysis/promotion-decision';
import { enter, type Stage } from './stage';
import { qualityGate } from './quality-gate';

export const evaluationStage: Stage = {
  name: 'evaluation',
  async run(ctx) {
    const { rollout, spec } = ctx;
    // A run that continued as new at the quality gate, or waiting for the eval set, has evaluated already.
    if (rollout.state.wait?.kind === 'quality-gate' || rollout.state.wait?.kind === 'eval-set') return qualityGate(ctx, 'promotion');
    enter(ctx, 'evaluation', 'evaluate the whole canary against the promotion rules');
    const totals = rollout.state.totals.canary;
    const decision = decidePromotion(totals.stable, totals.candidate, spec.analysis.promote);
    rollout.evaluated(decision);
    if (!decision.promote) return { promote: false, reason: `evaluation: ${decision.reasons.join('; ')}` };
    return qualityGate(ctx, 'promotion');
  },
};
