// The rollout's stages in order. Every stage before the one in progress is done, so a run that
// continued as new picks up exactly where the last one stopped.
import type { RolloutContext } from './rollout-context';
import type { Decision, Stage } from './stages/stage';
import { stableCheckStage } from './stages/stable-check';
import { qaStage } from './stages/qa';
import { quantizeStage } from './stages/quantize';
import { deployStage } from './stages/deploy';
import { shadowStage } from './stages/shadow';
import { canaryStage } from './stages/canary';
import { evaluationStage } from './stages/evaluation';
import { approvalStage } from './stages/approval';
import { onRelease2 } from './release';

export type { Decision } from './stages/stage';

/** The first release gated the checkpoint before quantizing it. */
const RELEASE_1: readonly Stage[] = [stableCheckStage, qaStage, quantizeStage, deployStage, shadowStage, canaryStage, evaluationStage, approvalStage];
/** This release gates the artifact that ships: quantized first, then tested beside the stable. */
const RELEASE_2: readonly Stage[] = [stableCheckStage, quantizeStage, qaStage, deployStage, shadowStage, canaryStage, evaluationStage, approvalStage];

export async function runPipeline(ctx: RolloutContext): Promise<Decision> {
  const stages = onRelease2() ? RELEASE_2 : RELEASE_1;
  const current = ctx.rollout.state.stage;
  const from =
    current === null
      ? 0
      : Math.max(
          0,
          stages.findIndex((s) => s.name === current),
        );
  for (const stage of stages.slice(from)) {
    const decision = await stage.run(ctx);
    if (decision) return decision;
  }
  const evaluation = ctx.rollout.state.evaluation;
  return { promote: true, reason: `evaluation passed: ${evaluation?.reasons.join('; ') ?? ''}` };
}
