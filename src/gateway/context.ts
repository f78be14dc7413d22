// Everything the gateway's handlers share, built once at start-up by one factory, for the
// process and for tests alike.
import { join } from 'node:path';
import { RouteTable } from './route-table';
import { WindowStatsStore } from './window-stats';
import type { PairStore } from './pair-store';
import { GatewayMetrics } from './metrics';
import { UpstreamClient } from './upstream-client';
import { ShadowMirror } from './shadow-mirror';
import { BreakerBoard } from './breaker-board';
import { UpstreamHealthBoard, type HealthCheckOptions } from './upstream-health';
import { ClientKeyStore } from './client-keys';
import { ClientAccess, type ClientKeysMode } from './client-access';
import { StableHistory } from './stable-history';

export interface GatewayContext {
  routes: RouteTable;
  stats: WindowStatsStore;
  pairs: PairStore;
  metrics: GatewayMetrics;
  upstreams: UpstreamClient;
  shadow: ShadowMirror;
  breakers: BreakerBoard;
  health: UpstreamHealthBoard;
  adminToken: string;
  access: ClientAccess;
  stableHistory: StableHistory;
}

export interface GatewayContextOptions {
  dataDir: string;
  adminToken: string;
  upstreamTimeoutMs: number;
  statsRetentionMs: number;
  shadowMaxInFlight: number;
  shadowMaxQueued: number;
  /** where shadow pairs go (see openPairStore) */
  pairs: PairStore;
  onBreakerOpen?: (route: string, reason: string) => void;
  /** active health checks of the routes' upstreams (started by the process, see main.ts) */
  healthCheck?: HealthCheckOptions;
  /** client keys on the data plane: off (loopback default) or required */
  clientKeys?: ClientKeysMode;
}

export const DEFAULT_HEALTH_CHECK: HealthCheckOptions = { intervalMs: 5_000, timeoutMs: 2_000, fall: 3 };

export function createGatewayContext(options: GatewayContextOptions): GatewayContext {
  const routes = new RouteTable(join(options.dataDir, 'routes.json'));
  const stats = new WindowStatsStore(options.statsRetentionMs);
  const pairs = options.pairs;
  const metrics = new GatewayMetrics();
  const upstreams = new UpstreamClient(options.upstreamTimeoutMs);
  const shadow = new ShadowMirror(upstreams, pairs, stats, metrics, { maxInFlight: options.shadowMaxInFlight, maxQueued: options.shadowMaxQueued });
  const breakers = new BreakerBoard((route, reason) => {
    metrics.breakerOpen.set({ route }, 1);
    stats.recordBreakerOpen(route, reason);
    options.onBreakerOpen?.(route, reason);
  });
  const health = new UpstreamHealthBoard(routes, options.healthCheck ?? DEFAULT_HEALTH_CHECK);
  metrics.observeUpstreamHealth(() => health.readiness());
  for (const [name, route] of Object.entries(routes.all())) {
    metrics.weight.set({ route: name }, route.weight);
    metrics.shadowRate.set({ route: name }, route.shadowRate);
  }
  const access = new ClientAccess(options.clientKeys ?? 'off', new ClientKeyStore(join(options.dataDir, 'client-keys.json')));
  const stableHistory = new StableHistory(join(options.dataDir, 'stable-history.json'));
  return { routes, stats, pairs, metrics, upstreams, shadow, breakers, health, adminToken: options.adminToken, access, stableHistory };
}

export async function closeGatewayContext(ctx: GatewayContext): Promise<void> {
  await ctx.health.stop();
  await ctx.pairs.close();
  await ctx.upstreams.close();
}
