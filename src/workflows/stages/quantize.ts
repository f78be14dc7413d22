// The artifact that ships: quantized on the host that holds the checkpoint, or the given file
// inspected as it is. Either way its GGUF header, size and sha256 are checked before it is served.
import { hostActivities } from '../activity-proxies';
import { enter, holdWhilePaused, type Stage } from './stage';

export const quantizeStage: Stage = {
  name: 'quantize',
  async run(ctx) {
    const { spec, rollout } = ctx;
    await holdWhilePaused(ctx);
    const host = hostActivities(spec.candidate.host, spec.candidate.readyTimeout);
    const quantize = spec.candidate.quantize;
    if (quantize) {
      enter(ctx, 'quantize', `quantize ${spec.candidate.model} to ${quantize.type} on ${spec.candidate.host}`);
      rollout.artifactReady(await host.quantizeModel({ rolloutId: rollout.state.rolloutId, source: spec.candidate.model, type: quantize.type }));
    } else {
      rollout.artifactReady(await host.inspectModel({ path: spec.candidate.model }));
    }
    return undefined;
  },
};
