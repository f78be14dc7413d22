// The rollout's stages in order. Every stage before the one in progress is done, so a run that
// continued as new picks up exactly where the last one stopped.
import type { RolloutContext } from './rollout-context';
import { isDone } from './state/rollout-state';
import type { Decision, Stage } from './stages/stage';
import { stableCheckStage } from './stages/stable-check';
import { qaStage } from './stages/qa';
import { quantizeStage } from './stages/quantize';
import { deployStage } from './stages/deploy';
import { shadowStage } from './stages/shadow';
import { canaryStage } from './stages/canary';
import { evaluationStage } from './stages/evaluation';
import { approvalStage } from './stages/approval';

export type { Decision } from './stages/stage';

const PIPELINE: readonly Stage[] = [stableCheckStage, qaStage, quantizeStage, deployStage, shadowStage, canaryStage, evaluationStage, approvalStage];

export async function runPipeline(ctx: RolloutContext): Promise<Decision> {
  for (const stage of PIPELINE) {
    if (isDone(ctx.rollout.state, stage.name)) continue;
    const decision = await stage.run(ctx);
    if (decision) return decision;
  }
  const evaluation = ctx.rollout.state.evaluation;
  return { promote: true, reason: `evaluation passed: ${evaluation?.reasons.join('; ') ?? ''}` };
}
