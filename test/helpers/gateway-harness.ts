// The gateway in-process on a free port, built exactly as its main() builds it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../src/gateway/app';
import { GatewayAdminClient } from '../../src/gateway/admin-client';
import { closeGatewayContext, createGatewayContext } from '../../src/gateway/context';
import { openPairStore } from '../../src/gateway/open-pair-store';
import type { PairStore } from '../../src/gateway/pair-store';

export interface GatewayHarness {
  app: FastifyInstance;
  url: string;
  token: string;
  dataDir: string;
  admin: GatewayAdminClient;
  close(): Promise<void>;
}

export interface GatewayHarnessOptions {
  dataDir?: string;
  pairStore?: PairStore;
  shadowMaxInFlight?: number;
  shadowMaxQueued?: number;
}

export async function startGateway(options: GatewayHarnessOptions = {}): Promise<GatewayHarness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gantry-gw-'));
  const pairStore = options.pairStore;
  const token = 'test-admin-token-0123456789';
  const pairs = pairStore ?? (await openPairStore({ dataDir, maxFileBytes: 1024 * 1024, retentionDays: 30 }));
  const ctx = createGatewayContext({
    pairs,
    dataDir,
    adminToken: token,
    upstreamTimeoutMs: 30_000,
    statsRetentionMs: 3_600_000,
    shadowMaxInFlight: options.shadowMaxInFlight ?? 4,
    shadowMaxQueued: options.shadowMaxQueued ?? 0,
  });
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
      await closeGatewayContext(ctx);
    },
  };
}
