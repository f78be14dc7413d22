// The gateway in-process on a free port, built exactly as its main() builds it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { RouteTable } from '../../src/gateway/route-table';
import { WindowStatsStore } from '../../src/gateway/window-stats';
import { JsonlPairStore } from '../../src/gateway/pair-store';
import { GatewayMetrics } from '../../src/gateway/metrics';
import { UpstreamClient } from '../../src/gateway/upstream-client';
import { ShadowMirror } from '../../src/gateway/shadow-mirror';
import { buildGateway } from '../../src/gateway/app';
import { GatewayAdminClient } from '../../src/gateway/admin-client';
import type { GatewayContext } from '../../src/gateway/context';

export interface GatewayHarness {
  app: FastifyInstance;
  url: string;
  token: string;
  dataDir: string;
  admin: GatewayAdminClient;
  close(): Promise<void>;
}

export async function startGateway(dataDir = mkdtempSync(join(tmpdir(), 'gantry-gw-'))): Promise<GatewayHarness> {
  const token = 'test-admin-token-0123456789';
  const routes = new RouteTable(join(dataDir, 'routes.json'));
  const stats = new WindowStatsStore(3_600_000);
  const pairs = new JsonlPairStore(join(dataDir, 'pairs'));
  const metrics = new GatewayMetrics();
  const upstreams = new UpstreamClient(30_000);
  const shadow = new ShadowMirror(upstreams, pairs, stats, metrics, 4);
  const ctx: GatewayContext = { routes, stats, pairs, metrics, upstreams, shadow, adminToken: token };
  const app = buildGateway(ctx, { bodyLimitBytes: 64 * 1024, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app,
    url,
    token,
    dataDir,
    admin: new GatewayAdminClient(url, token),
    async close() {
      await app.close();
      await pairs.close();
      await upstreams.close();
    },
  };
}
