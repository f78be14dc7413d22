// A gradual rollback: the candidate's weight stepped down level by level over a set time while it
// is still judged every interval. Only an emergency (the breaker trips, an emergency-severity
// metric fails) or an operator's rollback cuts it short; the failures that started it go on being
// recorded but change nothing, since the rollout is already on its way back.
import { patched } from '@temporalio/workflow';
import { formatDuration } from '../config/duration';
import type { Command } from './commands';
import type { RolloutContext } from './rollout-context';
import { currentLevel, planStepDown } from './state/step-down';
import { setTraffic } from './stages/traffic';
import { notify } from './notify';
import { publishProgress } from './visibility';
import { runWait } from './waits';

/** Workflow change marker: rollouts running when gradual rollbacks arrived replay without them. */
export const GRADUAL_ROLLBACK = 'gantry-gradual-rollback';

/** What an end asks for: the spec's rollback policy, or the operator's command in its place. */
export interface RollbackHow {
  kind: 'immediate' | 'gradual';
  overMs: number;
  /** "spec", or the operator who chose it */
  by: string;
  /** an emergency always rolls back at once */
  emergency: boolean;
}

export function rollbackHow(ctx: RolloutContext, emergency: boolean, command?: Command): RollbackHow {
  const policy = ctx.spec.rollbackPolicy;
  if (command?.rollbackKind) return { kind: command.rollbackKind, overMs: command.overMs ?? policy.over, by: command.by, emergency };
  return { kind: policy.kind, overMs: policy.over, by: 'spec', emergency };
}

/**
 * Begins a gradual rollback when one is asked for and there is weight to step down; returns
 * whether one is under way. An emergency, or a candidate no user reaches, rolls back at once.
 */
export function beginStepDown(ctx: RolloutContext, reason: string, how: RollbackHow): boolean {
  const { rollout, spec } = ctx;
  if (rollout.state.gradualRollback) return true; // resumed after continue-as-new
  if (how.kind !== 'gradual') return false;
  if (how.emergency) {
    rollout.note(`an emergency rolls back at once, not gradually: ${reason}`);
    return false;
  }
  const plan = planStepDown(reason, how.by, rollout.state.weight, { overMs: how.overMs, steps: spec.rollbackPolicy.steps }, Date.now());
  if (plan === null) {
    rollout.note(`nothing to step down: the candidate has ${rollout.state.weight}% of live traffic; rolling back at once`);
    return false;
  }
  if (!patched(GRADUAL_ROLLBACK)) return false;
  rollout.steppingDown(plan);
  publishProgress(ctx);
  void notify(
    ctx,
    'phase',
    'CRITICAL',
    `rolling back gradually over ${formatDuration(plan.holdMs * plan.levels.length)} (${plan.levels.join('% → ')}% → 0%): ${reason}`,
  );
  return true;
}

/** Holds each level in turn, judged every interval; returns why it was cut short, or null once every level was held. */
export async function stepDown(ctx: RolloutContext): Promise<string | null> {
  const { rollout } = ctx;
  for (;;) {
    const plan = rollout.state.gradualRollback;
    const level = plan ? currentLevel(plan) : null;
    if (!plan || level === null) return null;
    await setTraffic(ctx, level, 0);
    const outcome = await runWait(ctx, { kind: 'step-down', endsOn: 'time', durationMs: plan.holdMs, analysis: 'canary' });
    if (outcome.kind === 'breach' || outcome.kind === 'gate-timeout') return outcome.reason;
    rollout.stepDownLevelDone();
  }
}
