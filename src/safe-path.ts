// Folders named after ids and spec values (a rollout id, a deployment id) must stay inside the
// folder they were built under, whoever chose the name.
import { isAbsolute, relative, resolve } from 'node:path';

/** `base` joined with `parts`, resolved; throws when the result is not inside `base`. */
export function insideFolder(base: string, ...parts: string[]): string {
  const root = resolve(base);
  const path = resolve(root, ...parts);
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${JSON.stringify(parts.join('/'))} would leave ${root}`);
  return path;
}
