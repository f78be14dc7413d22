// One line per spec error, naming the field. An unknown key is reported before anything else: a
// typo such as `canery:` otherwise surfaces as "canary: expected object" and hides its cause.
import type { z } from 'zod';

export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.length === 0
    ? '(root)'
    : path
        .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
        .join('.')
        .replace(/\.\[/g, '[');
}

interface SchemaDef {
  type?: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  in?: { _zod: { def: SchemaDef } };
  options?: { _zod: { def: SchemaDef } }[];
}

/** The keys an object schema knows at `path`, looking through optional, default, array and union wrappers. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  const walk = (def: SchemaDef | undefined, rest: readonly PropertyKey[]): void => {
    if (!def) return;
    if (def.innerType) return walk(def.innerType._zod.def, rest);
    if (def.in) return walk(def.in._zod.def, rest);
    if (def.options) return def.options.forEach((option) => walk(option._zod.def, rest));
    if (def.type === 'array' && typeof rest[0] === 'number') return walk(def.element?._zod.def, rest.slice(1));
    if (def.type !== 'object' || !def.shape) return;
    if (rest.length === 0) {
      Object.keys(def.shape).forEach((key) => keys.add(key));
      return;
    }
    walk(def.shape[String(rest[0])]?._zod.def, rest.slice(1));
  };
  walk((schema as unknown as { _zod: { def: SchemaDef } })._zod.def, path);
  return [...keys];
}

/** Edit distance where swapping two neighbouring letters counts once (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known key closest to a misspelt one, if it is close enough to be what was meant. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(best.key.length / 3)) ? best.key : undefined;
}

/**
 * A union's failure as the failures of the branch that came closest (fewest problems), with full
 * paths: "stable.apiKey: …" says more than "stable: Invalid input".
 */
function expandUnions(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
    const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
    return expandUnions(closest.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })));
  });
}

/** The first problem of a failed parse, as one line; unknown keys first. */
export function describeIssues(schema: z.ZodType, rawIssues: readonly z.core.$ZodIssue[]): string {
  const issues = expandUnions(rawIssues);
  const unknown = issues.find((issue) => issue.code === 'unrecognized_keys');
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  if (unknown && unknown.code === 'unrecognized_keys') {
    const key = unknown.keys[0] ?? '';
    const suggestion = closestKey(key, knownKeysAt(schema, unknown.path));
    const names = unknown.keys.map((k) => `"${k}"`).join(', ');
    return `${formatIssuePath(unknown.path)}: unknown field ${names}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}${more}`;
  }
  const first = issues[0];
  return `${first ? formatIssuePath(first.path) : '(root)'}: ${first?.message ?? 'invalid'}${more}`;
}
