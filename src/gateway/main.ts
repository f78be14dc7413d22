// Gateway process entry point.
import { join } from 'node:path';
import { pino } from 'pino';
import { gatewayConfigSchema } from './gateway-config';
import { parseEnv } from '../config/parse-env';
import { RouteTable } from './route-table';
import { WindowStatsStore } from './window-stats';
import { JsonlPairStore } from './pair-store';
import { GatewayMetrics } from './metrics';
import { UpstreamClient } from './upstream-client';
import { ShadowMirror } from './shadow-mirror';
import { buildGateway } from './app';
import type { GatewayContext } from './context';

const logger = pino({ name: 'gateway' });

async function main(): Promise<void> {
  const config = parseEnv(gatewayConfigSchema, process.env, 'gateway');
  const routes = new RouteTable(join(config.GANTRY_GATEWAY_DATA_DIR, 'routes.json'));
  const stats = new WindowStatsStore(config.GANTRY_GATEWAY_STATS_RETENTION_MS);
  const pairs = new JsonlPairStore(join(config.GANTRY_GATEWAY_DATA_DIR, 'pairs'));
  const metrics = new GatewayMetrics();
  const upstreams = new UpstreamClient(config.GANTRY_GATEWAY_UPSTREAM_TIMEOUT_MS);
  const shadow = new ShadowMirror(upstreams, pairs, stats, metrics, config.GANTRY_GATEWAY_SHADOW_MAX_IN_FLIGHT);
  const ctx: GatewayContext = { routes, stats, pairs, metrics, upstreams, shadow, adminToken: config.GANTRY_ADMIN_TOKEN };
  for (const [name, route] of Object.entries(routes.all())) {
    metrics.weight.set({ route: name }, route.weight);
    metrics.shadowRate.set({ route: name }, route.shadowRate);
  }
  const app = buildGateway(ctx, { bodyLimitBytes: config.GANTRY_GATEWAY_BODY_LIMIT_BYTES, logger });
  const shutdown = async (): Promise<void> => {
    await app.close();
    await pairs.close();
    await upstreams.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  await app.listen({ host: config.GANTRY_GATEWAY_HOST, port: config.GANTRY_GATEWAY_PORT });
}

main().catch((error: Error & { code?: string }) => {
  logger.error(error.code === 'EADDRINUSE' ? `gateway: port in use: ${error.message}` : `gateway: ${error.message}`);
  process.exit(1);
});
