// A gradual rollback's plan: the weights the candidate is held at on its way down to 0. Pure, so
// the levels and the words the status shows are unit-tested without a server.
import { formatDuration } from '../../config/duration';

export interface GradualRollback {
  /** why the rollout is rolled back */
  reason: string;
  /** who chose the gradual kind: "spec", or the operator who asked for it */
  by: string;
  fromWeight: number;
  /** the weights held on the way down, highest first; 0 comes after the last */
  levels: number[];
  /** how long each level is held (paused time does not count) */
  holdMs: number;
  /** levels held to their end so far */
  done: number;
  startedAt: number;
}

/**
 * `steps` weights evenly spaced between `fromWeight` and 0, both left out: from 100 in 4 steps,
 * 80, 60, 40, 20. Rounded to a tenth of a percent; levels that round to 0 or repeat are dropped.
 */
export function stepDownLevels(fromWeight: number, steps: number): number[] {
  const levels: number[] = [];
  for (let k = 1; k <= steps; k++) {
    const weight = Math.round(((fromWeight * (steps + 1 - k)) / (steps + 1)) * 10) / 10;
    if (weight > 0 && weight < fromWeight && !levels.includes(weight)) levels.push(weight);
  }
  return levels;
}

/** The plan for a rollback from `fromWeight`, or null when a gradual one has nothing to step down. */
export function planStepDown(reason: string, by: string, fromWeight: number, policy: { overMs: number; steps: number }, now: number): GradualRollback | null {
  const levels = stepDownLevels(fromWeight, policy.steps);
  if (levels.length === 0) return null;
  return { reason, by, fromWeight, levels, holdMs: Math.round(policy.overMs / levels.length), done: 0, startedAt: now };
}

/** The weight the plan holds now, or null when every level is done. */
type PlanView = { readonly levels: readonly number[]; readonly done: number; readonly holdMs: number };

export function currentLevel(plan: Omit<PlanView, 'holdMs'>): number | null {
  return plan.levels[plan.done] ?? null;
}

/** "rolling back gradually: 40% (level 3 of 4), 0% in 2m30s": what the status says while it runs. */
export function describeStepDown(plan: PlanView, leftInLevelMs: number): string {
  const level = currentLevel(plan);
  if (level === null) return 'the gradual rollback to detach the candidate';
  const after = plan.levels.length - plan.done - 1;
  const toZero = leftInLevelMs + after * plan.holdMs;
  return `the gradual rollback: ${level}% (level ${plan.done + 1} of ${plan.levels.length}), 0% in ${formatDuration(toZero)}`;
}
