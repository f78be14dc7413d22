// The workflow checks what it is handed. The CLI validates a spec before it starts a rollout, but
// any Temporal client can start one: a spec that skipped the CLI, or a rollout id that would name a
// folder outside the workers' data folders, fails the run here with one line, before anything moves.
import { rolloutSpecSchema, type RolloutSpec } from '../config/spec';
import { rolloutIdProblem } from '../config/rollout-id';
import { formatIssuePath } from '../config/spec-errors';
import type { RolloutInput } from './rollout-context';

/** Marks the runs that check their input; histories written before it replay without the check. */
export const VALIDATE_INPUT = 'gantry-validate-input';

/** The spec as the loader would have given it (defaults filled in), or the one line that says why not. */
export function checkedInput(input: RolloutInput): { spec: RolloutSpec } | { problem: string } {
  const idProblem = typeof input.rolloutId === 'string' ? rolloutIdProblem(input.rolloutId) : 'the rollout id must be a string';
  if (idProblem) return { problem: idProblem };
  const parsed = rolloutSpecSchema.safeParse(input.spec);
  if (parsed.success) return { spec: parsed.data };
  const issue = parsed.error.issues[0];
  return { problem: `invalid spec: ${issue ? `${formatIssuePath(issue.path)}: ${issue.message}` : 'not a rollout spec'}` };
}
