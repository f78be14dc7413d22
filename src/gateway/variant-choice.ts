// Which variant answers a request. Sticky by hashing a key (no state to keep or share between
// replicas); random when the request carries no key.
import type { RouteConfig, Variant } from './route-config';

const BUCKETS = 10_000;

/** FNV-1a, 32-bit: fast, well spread for short keys, and identical on every replica. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function chooseVariant(route: Pick<RouteConfig, 'candidate' | 'weight'>, stickyKey: string | undefined, random: () => number): Variant {
  if (!route.candidate || route.weight <= 0) return 'stable';
  if (route.weight >= 100) return 'candidate';
  const bucket = stickyKey ? hashKey(stickyKey) % BUCKETS : Math.floor(random() * BUCKETS);
  return bucket < route.weight * (BUCKETS / 100) ? 'candidate' : 'stable';
}
