// Gateway process entry point.
import { pino } from 'pino';
import { gatewayConfigSchema, isLoopback } from './gateway-config';
import { parseEnv } from '../config/parse-env';
import { buildGateway } from './app';
import { closeGatewayContext, createGatewayContext } from './context';
import { openPairStore } from './open-pair-store';

const logger = pino({ name: 'gateway' });

async function main(): Promise<void> {
  const config = parseEnv(gatewayConfigSchema, process.env, 'gateway');
  if (!isLoopback(config.GANTRY_GATEWAY_HOST) && config.GANTRY_GATEWAY_CLIENT_KEYS !== 'required') {
    throw new Error(
      `listening on ${config.GANTRY_GATEWAY_HOST} (not loopback) needs client keys: set GANTRY_GATEWAY_CLIENT_KEYS=required and create keys with \`gantry gateway keys create\``,
    );
  }
  const pairs = await openPairStore({
    dataDir: config.GANTRY_GATEWAY_DATA_DIR,
    postgresUrl: config.GANTRY_PAIR_STORE_URL,
    maxFileBytes: config.GANTRY_PAIR_FILE_MAX_BYTES,
    retentionDays: config.GANTRY_PAIR_RETENTION_DAYS,
  });
  const ctx = createGatewayContext({
    pairs,
    dataDir: config.GANTRY_GATEWAY_DATA_DIR,
    adminToken: config.GANTRY_ADMIN_TOKEN,
    clientKeys: config.GANTRY_GATEWAY_CLIENT_KEYS,
    upstreamTimeoutMs: config.GANTRY_GATEWAY_UPSTREAM_TIMEOUT_MS,
    statsRetentionMs: config.GANTRY_GATEWAY_STATS_RETENTION_MS,
    shadowMaxInFlight: config.GANTRY_GATEWAY_SHADOW_MAX_IN_FLIGHT,
    shadowMaxQueued: config.GANTRY_GATEWAY_SHADOW_MAX_QUEUED,
    onBreakerOpen: (route, reason) => logger.warn({ route }, reason),
    healthCheck: {
      intervalMs: config.GANTRY_GATEWAY_HEALTH_INTERVAL_MS,
      timeoutMs: config.GANTRY_GATEWAY_HEALTH_TIMEOUT_MS,
      fall: config.GANTRY_GATEWAY_HEALTH_FALL,
    },
  });
  ctx.health.start();
  const app = buildGateway(ctx, {
    bodyLimitBytes: config.GANTRY_GATEWAY_BODY_LIMIT_BYTES,
    logger,
    requestTimeoutMs: config.GANTRY_GATEWAY_REQUEST_TIMEOUT_MS,
    idleTimeoutMs: config.GANTRY_GATEWAY_IDLE_TIMEOUT_MS,
  });
  app.server.maxConnections = config.GANTRY_GATEWAY_MAX_CONNECTIONS;
  const shutdown = async (): Promise<void> => {
    await app.close();
    await closeGatewayContext(ctx);
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
