// A check is one rule with its measured value, its threshold and its verdict, so every report can
// show why a rollout moved on, stopped or rolled back.
import type { RollbackRuleName } from '../config/spec';

export interface Check {
  name: string;
  /** the measured value; null when it could not be computed (no samples) */
  value: number | null;
  threshold: number;
  /** null: not enough data to judge */
  ok: boolean | null;
  detail: string;
  /** the spec rule it judges, for built-in rollback rules */
  rule?: RollbackRuleName;
  /** set when the rule's severity is not the default (critical) */
  severity?: 'warning' | 'emergency';
}

export function check(name: string, value: number | undefined, threshold: number, passes: (v: number) => boolean, describe: (v: number) => string): Check {
  if (value === undefined || Number.isNaN(value)) {
    return { name, value: null, threshold, ok: null, detail: `${name}: no data` };
  }
  return { name, value, threshold, ok: passes(value), detail: describe(value) };
}

export type Bound = 'most' | 'least';

/** A check that `value` is at most (or at least) `limit`. */
export function bounded(name: string, value: number | undefined, limit: number, at: Bound, describe: (v: number) => string): Check {
  return check(name, value, limit, (v) => (at === 'most' ? v <= limit : v >= limit), describe);
}

export function failedChecks(checks: readonly Check[]): Check[] {
  return checks.filter((c) => c.ok === false);
}

export const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
export const ms = (v: number): string => `${Math.round(v)}ms`;
