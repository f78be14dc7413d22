// The real embedded stack for integration tests: every process on free ports, state in a temp
// folder, started by the same code as `gantry dev up` and stopped by pid afterwards.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import type { Client } from '@temporalio/client';
import { quietPorts } from './quiet-ports';
import { isAlive } from '../../src/hosts/process-control';
import { devDown, devUp, temporalEnvFor } from '../../src/stack/dev-stack';
import { adminToken, gatewayUrl, type StackConfig } from '../../src/stack/stack-config';
import { connectClient } from '../../src/temporal/client';
import { GatewayAdminClient } from '../../src/gateway/admin-client';
import type { ProcessRecord } from '../../src/stack/managed-process';
import { REPO_ROOT } from '../../src/config/toolchain';
import type { ServerRecord } from '../../src/hosts/server-supervisor';

export interface RealStack {
  config: StackConfig;
  env: NodeJS.ProcessEnv;
  processes: ProcessRecord[];
  client: Client;
  gateway: GatewayAdminClient;
  gatewayUrl: string;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<Result>;
  stop(): Promise<string[]>;
}

export async function stackConfigOnFreePorts(): Promise<StackConfig> {
  // Chosen together, so no two of the stack's servers are handed the same port.
  const ports = await quietPorts(8);
  const port = (index: number): number => ports[index] ?? 0;
  return {
    stateDir: mkdtempSync(join(tmpdir(), 'gantry-it-')),
    temporalPort: port(0),
    temporalUiPort: port(1),
    temporalHttpPort: port(2),
    temporalMetricsPort: port(3),
    gatewayPort: port(4),
    codecPort: port(5),
    prometheusPort: port(6),
    orchestratorMetricsPort: port(7),
    metricSource: undefined,
    hostName: 'local',
    adminToken: undefined,
  };
}

/** The model servers the stack's host agent has on record (its servers.json). */
export function serverRecords(config: StackConfig): ServerRecord[] {
  return JSON.parse(readFileSync(join(config.stateDir, 'hosts/local/servers.json'), 'utf8')) as ServerRecord[];
}

export function envFor(config: StackConfig): NodeJS.ProcessEnv {
  return {
    GANTRY_STATE_DIR: config.stateDir,
    GANTRY_TEMPORAL_PORT: String(config.temporalPort),
    GANTRY_TEMPORAL_UI_PORT: String(config.temporalUiPort),
    GANTRY_TEMPORAL_HTTP_PORT: String(config.temporalHttpPort),
    GANTRY_TEMPORAL_METRICS_PORT: String(config.temporalMetricsPort),
    GANTRY_GATEWAY_PORT: String(config.gatewayPort),
    GANTRY_CODEC_PORT: String(config.codecPort),
    GANTRY_PROMETHEUS_PORT: String(config.prometheusPort),
    GANTRY_ORCHESTRATOR_METRICS_PORT: String(config.orchestratorMetricsPort),
    ...(config.metricSource ? { GANTRY_METRIC_PROVIDER: config.metricSource } : {}),
    GANTRY_USER: 'integration-test',
  };
}

/** Runs the real CLI; never throws on a non-zero exit (tests assert on it). */
export function runCli(env: NodeJS.ProcessEnv, args: string[]): Promise<Result> {
  return execa(join(REPO_ROOT, 'bin/gantry'), args, { env: { ...process.env, ...env }, reject: false, timeout: 300_000 });
}

/** What a test does to the stack's folders before it starts, and undoes after it stopped (a disk mounted under it). */
export interface StackHooks {
  beforeUp?: (config: StackConfig) => Promise<void>;
  afterDown?: () => Promise<void>;
}

export async function startRealStack(overrides: Partial<StackConfig> = {}, hooks: StackHooks = {}): Promise<RealStack> {
  const config = { ...(await stackConfigOnFreePorts()), ...overrides };
  const env = envFor(config);
  await hooks.beforeUp?.(config);
  const processes = await devUp(config, () => undefined);
  const client = await connectClient(temporalEnvFor(config));
  const token = adminToken(config) as string;
  return {
    config,
    env,
    processes,
    client,
    gateway: new GatewayAdminClient(gatewayUrl(config), token),
    gatewayUrl: gatewayUrl(config),
    cli: (args, extraEnv = {}) => runCli({ ...env, ...extraEnv }, args),
    async stop() {
      await client.connection.close();
      const stopped = await devDown(config, () => undefined);
      await hooks.afterDown?.();
      const survivors = processes.filter((p) => isAlive(p.pid)).map((p) => `${p.name} (${p.pid})`);
      rmSync(config.stateDir, { recursive: true, force: true });
      if (survivors.length) throw new Error(`processes left running after dev down: ${survivors.join(', ')}`);
      return stopped;
    },
  };
}
