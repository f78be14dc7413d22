// Everything the gateway's handlers share, built once at start-up.
import type { RouteTable } from './route-table';
import type { WindowStatsStore } from './window-stats';
import type { PairStore } from './pair-store';
import type { GatewayMetrics } from './metrics';
import type { UpstreamClient } from './upstream-client';
import type { ShadowMirror } from './shadow-mirror';

export interface GatewayContext {
  routes: RouteTable;
  stats: WindowStatsStore;
  pairs: PairStore;
  metrics: GatewayMetrics;
  upstreams: UpstreamClient;
  shadow: ShadowMirror;
  adminToken: string;
}
