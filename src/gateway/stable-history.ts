// Every route's stables over time: which server and model file, since when, and why it changed —
// created with the route, promoted by a rollout, reverted by one, or re-pointed (a stable restarted
// or replaced by the stable check). Kept beside the routes, owner-only, the last 200 per route.
import { existsSync, readFileSync } from 'node:fs';
import { replaceJsonFile } from '../json-file';
import type { RouteConfig } from './route-config';

export interface StableChange {
  at: string;
  change: 'created' | 'promoted' | 'reverted' | 're-pointed';
  /** the rollout that promoted or reverted it */
  rolloutId: string | null;
  endpoint: string;
  label: string | null;
  deployment: { host: string; id: string } | null;
  /** the model file it serves, when a host agent serves it */
  artifact: string | null;
}

const KEEP_PER_ROUTE = 200;

/** The label a stable put back by a rollout's revert carries; the history reads the rollout from it. */
export const restoredStableLabel = (rolloutId: string): string => `stable (restored by ${rolloutId})`;
const restoredBy = (label: string | undefined): string | undefined => /^stable \(restored by (.+)\)$/.exec(label ?? '')?.[1];

/** What a route change did to its stable; null when the stable stayed the same server. */
export function stableChange(previous: RouteConfig | undefined, next: RouteConfig, at: Date): StableChange | null {
  const entry = (change: StableChange['change'], rolloutId: string | null): StableChange => ({
    at: at.toISOString(),
    change,
    rolloutId,
    endpoint: next.stable.url,
    label: next.stable.label ?? null,
    deployment: next.stable.deployment ?? null,
    artifact: next.stable.artifact ?? null,
  });
  if (!previous) return entry('created', null);
  if (previous.stable.url === next.stable.url) return null;
  if (previous.candidate?.url === next.stable.url) return entry('promoted', previous.rolloutId ?? null);
  const reverter = restoredBy(next.stable.label);
  return reverter ? entry('reverted', reverter) : entry('re-pointed', null);
}

export class StableHistory {
  private readonly byRoute: Record<string, StableChange[]>;

  constructor(private readonly file: string) {
    this.byRoute = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, StableChange[]>) : {};
  }

  of(route: string): StableChange[] | undefined {
    return this.byRoute[route];
  }

  record(route: string, change: StableChange): void {
    const entries = (this.byRoute[route] ??= []);
    // A server put back (a revert) serves the file it served before.
    const earlier = change.deployment && !change.artifact ? [...entries].reverse().find((e) => e.deployment?.id === change.deployment?.id) : undefined;
    entries.push(earlier?.artifact ? { ...change, artifact: earlier.artifact } : change);
    if (entries.length > KEEP_PER_ROUTE) entries.splice(0, entries.length - KEEP_PER_ROUTE);
    replaceJsonFile(this.file, this.byRoute, { ownerOnly: true });
  }
}
