// The artifact that ships: quantized on the host that holds the checkpoint (a Hugging Face folder
// converted to GGUF first; an earlier artifact of the same source and type reused), or the given
// file inspected as it is. Either way its GGUF header, size and sha256 are checked before it is
// served. On this release, what quantizing cost is then measured against the source and gated.
import { hostActivities, hostMeasurements } from '../activity-proxies';
import { onRelease2 } from '../release';
import { judgeQuantLoss } from '../../analysis/quant-loss-gate';
import { enter, holdWhilePaused, type Decision, type Stage } from './stage';
import type { RolloutContext } from '../rollout-context';

async function gateQuantLoss(ctx: RolloutContext): Promise<Decision | undefined> {
  const { spec, rollout } = ctx;
  const rules = spec.candidate.quantize?.loss;
  const artifact = rollout.state.artifact;
  if (!rules || !artifact?.sourceGguf) return undefined;
  enter(ctx, 'quantize', `measuring quantization loss of ${artifact.quantType ?? 'the artifact'} against its source on ${rules.corpus}`, true);
  const result = await hostMeasurements(spec.candidate.host).measureQuantizationLoss({
    rolloutId: rollout.state.rolloutId,
    artifact: artifact.path,
    record: artifact.record,
    sourceGguf: artifact.sourceGguf,
    corpus: rules.corpus,
    contextSize: rules.contextSize,
  });
  const verdict = judgeQuantLoss(result, rules);
  rollout.quantLossMeasured(result, verdict);
  return verdict.passed ? undefined : { promote: false, reason: `quantization loss over the limits: ${verdict.failures.join('; ')}` };
}

export const quantizeStage: Stage = {
  name: 'quantize',
  async run(ctx) {
    const { spec, rollout } = ctx;
    await holdWhilePaused(ctx);
    const release2 = onRelease2();
    const host = hostActivities(spec.candidate.host, spec.candidate.readyTimeout);
    const quantize = spec.candidate.quantize;
    const rolloutId = rollout.state.rolloutId;
    if (quantize) {
      enter(ctx, 'quantize', `quantize ${spec.candidate.model} to ${quantize.type} on ${spec.candidate.host}`);
      rollout.artifactReady(await host.quantizeModel({ rolloutId, source: spec.candidate.model, type: quantize.type }));
      if (release2) return gateQuantLoss(ctx);
    } else {
      rollout.artifactReady(await host.inspectModel(release2 ? { path: spec.candidate.model, rolloutId } : { path: spec.candidate.model }));
    }
    return undefined;
  },
};
