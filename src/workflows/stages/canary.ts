// Canary steps: each sets the candidate's weight, soaks for its duration while judged every
// interval, then ends on its own, on approve, or on a (scheduled) advance.
import type { CanaryStep } from '../../config/spec';
import type { RolloutContext } from '../rollout-context';
import { runWait } from '../waits';
import { notify } from '../notify';
import { setTraffic } from './traffic';
import { enter, stopped, type Decision, type Stage } from './stage';

export const canaryStage: Stage = {
  name: 'canary',
  async run(ctx) {
    const { rollout, spec } = ctx;
    const steps = spec.canary.steps;
    for (let index = Math.max(0, rollout.state.step); index < steps.length; index++) {
      const decision = await runStep(ctx, index, steps[index] as CanaryStep);
      if (decision) return decision;
    }
    return undefined;
  },
};

async function runStep(ctx: RolloutContext, index: number, step: CanaryStep): Promise<Decision | undefined> {
  const { rollout, spec } = ctx;
  const resuming = rollout.state.step === index && rollout.state.wait !== null;
  rollout.stepEntered(index);
  const where = `canary step ${index + 1} (${step.weight}%)`;
  if (!resuming) {
    enter(ctx, 'canary', `canary step ${index + 1}/${spec.canary.steps.length}: ${step.weight}% for ${step.duration}ms, then ${step.advance}`);
    void notify(ctx, 'step', 'INFO', `${where} begins`);
  }
  await setTraffic(ctx, step.weight, 0, spec.quality?.reverseShadowRate ?? 0);
  if (rollout.state.wait?.kind !== 'gate') {
    const stop = stopped(await runWait(ctx, { kind: 'soak', endsOn: 'time', durationMs: step.duration, analysis: 'canary' }), where);
    if (stop) return stop;
  }
  if (step.advance === 'auto') return undefined;
  const endsOn = step.advance === 'manual' ? 'approve' : 'advance';
  return stopped(
    await runWait(ctx, { kind: 'gate', endsOn, durationMs: null, analysis: 'canary', gateTimeoutMs: step.gateTimeout, onTimeout: step.onTimeout }),
    where,
  );
}
