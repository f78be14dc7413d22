// The workflow checks what it is handed. The CLI validates a spec before it starts a rollout, but
// any Temporal client can start one: a spec that skipped the CLI, or a rollout id that would name a
// folder outside the workers' data folders, fails the run here with one line, before anything moves.
import { rolloutSpecSchema } from '../config/spec';
import { rolloutIdProblem } from '../config/rollout-id';
import { formatIssuePath } from '../config/spec-errors';
import type { RolloutInput } from './rollout-context';

/** Marks the runs that check their input; histories written before it replay without the check. */
export const VALIDATE_INPUT = 'gantry-validate-input';

export function inputProblem(input: RolloutInput): string | null {
  const idProblem = typeof input.rolloutId === 'string' ? rolloutIdProblem(input.rolloutId) : 'the rollout id must be a string';
  if (idProblem) return idProblem;
  const parsed = rolloutSpecSchema.safeParse(input.spec);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  return `invalid spec: ${issue ? `${formatIssuePath(issue.path)}: ${issue.message}` : 'not a rollout spec'}`;
}
