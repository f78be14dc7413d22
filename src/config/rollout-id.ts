// A rollout id names a Temporal workflow and, on the workers, folders of its own (artifacts, scored
// pairs, server logs). Any Temporal client can start a rollout, so the id is held to a pattern that
// can never climb out of those folders: letters, digits, dots, dashes and underscores, starting
// with a letter or digit.
export const ROLLOUT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `id` cannot be a rollout id, or null when it can. */
export function rolloutIdProblem(id: string): string | null {
  if (ROLLOUT_ID_PATTERN.test(id)) return null;
  return `rollout id ${JSON.stringify(id.slice(0, 80))} is not allowed: 1 to 128 letters, digits, ".", "-" or "_", starting with a letter or digit`;
}
