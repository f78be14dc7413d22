// The embedded dev stack's configuration: ports, state folder and admin token, from the environment
// with documented defaults. The CLI, the quickstart and the integration tests all use this one type.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_STATE_DIR } from '../config/package-root';
import { parseEnv } from '../config/parse-env';

const port = z.coerce.number().int().min(1).max(65535);

export const stackEnvSchema = z.object({
  GANTRY_STATE_DIR: z.string().default(DEFAULT_STATE_DIR),
  GANTRY_TEMPORAL_PORT: port.default(7233),
  GANTRY_TEMPORAL_UI_PORT: port.default(8233),
  GANTRY_TEMPORAL_HTTP_PORT: port.default(7243),
  GANTRY_TEMPORAL_METRICS_PORT: port.default(7244),
  GANTRY_GATEWAY_PORT: port.default(8400),
  GANTRY_CODEC_PORT: port.default(8888),
  GANTRY_PROMETHEUS_PORT: port.default(9400),
  GANTRY_ORCHESTRATOR_METRICS_PORT: port.default(9401),
  GANTRY_METRIC_PROVIDER: z.enum(['gateway', 'prometheus']).optional(),
  GANTRY_ADMIN_TOKEN: z.string().min(16).optional(),
  GANTRY_HOST_NAME: z.string().default('local'),
});

export interface StackConfig {
  stateDir: string;
  temporalPort: number;
  temporalUiPort: number;
  temporalHttpPort: number;
  temporalMetricsPort: number;
  gatewayPort: number;
  /** where `gantry dev codec-server` listens, and where the Web UI is told to find it */
  codecPort: number;
  /** the stack's own Prometheus, which scrapes the gateway and the host agent's model servers */
  prometheusPort: number;
  /** where the orchestrator serves its rollouts' gauges (running, paused since) for Prometheus */
  orchestratorMetricsPort: number;
  /**
   * Where the orchestrator `dev up` starts reads analysis windows. Unset: a running orchestrator is
   * left as it is and a new one reads the gateway; set: a running one that reads elsewhere is restarted.
   */
  metricSource: 'gateway' | 'prometheus' | undefined;
  hostName: string;
  /** set when given in the environment; otherwise `dev up` creates one under the state folder */
  adminToken: string | undefined;
}

export function stackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const e = parseEnv(stackEnvSchema, env, 'gantry');
  return {
    stateDir: e.GANTRY_STATE_DIR,
    temporalPort: e.GANTRY_TEMPORAL_PORT,
    temporalUiPort: e.GANTRY_TEMPORAL_UI_PORT,
    temporalHttpPort: e.GANTRY_TEMPORAL_HTTP_PORT,
    temporalMetricsPort: e.GANTRY_TEMPORAL_METRICS_PORT,
    gatewayPort: e.GANTRY_GATEWAY_PORT,
    codecPort: e.GANTRY_CODEC_PORT,
    prometheusPort: e.GANTRY_PROMETHEUS_PORT,
    orchestratorMetricsPort: e.GANTRY_ORCHESTRATOR_METRICS_PORT,
    metricSource: e.GANTRY_METRIC_PROVIDER,
    hostName: e.GANTRY_HOST_NAME,
    adminToken: e.GANTRY_ADMIN_TOKEN,
  };
}

export const adminTokenFile = (config: StackConfig): string => join(config.stateDir, 'admin-token');

/** The admin token: the environment's, else the one `dev up` wrote. */
export function adminToken(config: StackConfig): string | undefined {
  if (config.adminToken) return config.adminToken;
  const file = adminTokenFile(config);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

export const gatewayUrl = (config: StackConfig): string => process.env.GANTRY_GATEWAY_URL ?? `http://127.0.0.1:${config.gatewayPort}`;
export const temporalAddress = (config: StackConfig): string => process.env.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.temporalPort}`;
export const codecEndpoint = (config: StackConfig): string => `http://127.0.0.1:${config.codecPort}`;
export const temporalUi = (config: StackConfig): string => process.env.GANTRY_TEMPORAL_UI ?? `http://127.0.0.1:${config.temporalUiPort}`;
export const prometheusUrl = (config: StackConfig): string => `http://127.0.0.1:${config.prometheusPort}`;
