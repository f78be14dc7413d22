// The gateway's typed configuration, read from the environment once at start-up.
import { z } from 'zod';

export const gatewayConfigSchema = z.object({
  GANTRY_GATEWAY_HOST: z.string().default('127.0.0.1'),
  /** client API keys on the data plane: off (only allowed on loopback) or required */
  GANTRY_GATEWAY_CLIENT_KEYS: z.enum(['off', 'required']).default('off'),
  GANTRY_GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8400),
  GANTRY_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  GANTRY_GATEWAY_DATA_DIR: z.string().default('.gantry/gateway'),
  GANTRY_GATEWAY_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  GANTRY_GATEWAY_STATS_RETENTION_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(6 * 3_600_000),
  GANTRY_GATEWAY_SHADOW_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(16),
  GANTRY_GATEWAY_SHADOW_MAX_QUEUED: z.coerce.number().int().min(0).default(64),
  /** postgres://… to keep shadow pairs in PostgreSQL (several replicas); files under the data dir otherwise */
  GANTRY_PAIR_STORE_URL: z.string().url('must be a postgres:// URL').optional(),
  GANTRY_PAIR_FILE_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  GANTRY_PAIR_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** active health checks of every route's upstreams: how often, how long to wait, failures in a row before one is down */
  GANTRY_GATEWAY_HEALTH_INTERVAL_MS: z.coerce.number().int().positive().default(5_000),
  GANTRY_GATEWAY_HEALTH_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  GANTRY_GATEWAY_HEALTH_FALL: z.coerce.number().int().positive().default(3),
  /** connections open at once, at most; past it new ones wait in the kernel's backlog */
  GANTRY_GATEWAY_MAX_CONNECTIONS: z.coerce.number().int().positive().default(4096),
  /** a whole request (headers and body) must arrive within this */
  GANTRY_GATEWAY_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** a connection with nothing sent either way for this long is closed */
  GANTRY_GATEWAY_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(300_000),
  GANTRY_GATEWAY_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** Loopback only: anything else is reachable by others, and the gateway spends upstream keys for them. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
