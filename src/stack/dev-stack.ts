// The embedded stack: Temporal dev server (SQLite under the state folder, Web UI), gateway,
// Prometheus (scraping the gateway and the host agent's model servers), orchestrator worker and one
// host agent. `up` starts what is missing — a process already running
// and healthy is left alone — and waits for each to be healthy; on any failure it stops what it
// started. `down` stops the stack's processes, found by recorded pid or, when that is stale, by
// what they are, and the model servers the host agent serves. Their records stay: the host agent
// starts them again on the next `up`, so routes find their stable where they left it.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { Client } from '@temporalio/client';
import { toolPath } from '../config/toolchain';
import { GantryError } from '../errors';
import { isAlive, stopProcess } from '../hosts/process-control';
import { isPortInUse } from '../hosts/free-port';
import type { ServerRecord } from '../hosts/server-supervisor';
import { connectClient, taskQueuePollers } from '../temporal/client';
import { temporalEnvFor } from './stack-connection';
import { startDevSearchAttributeFlags } from '../temporal/search-attributes';
import { CONTROL_TASK_QUEUE, hostTaskQueue } from '../workflows/messages';
import { spawnDetached, waitUntilHealthy, type ProcessRecord } from './managed-process';
import { adminToken, adminTokenFile, codecEndpoint, gatewayUrl, prometheusUrl, temporalAddress, temporalUi, type StackConfig } from './stack-config';
import { environmentOf, pidListeningOn, pidsMatching } from './find-processes';
import { preparePrometheusDir, prometheusArgs, prometheusReady, writeScrapeTargets } from './prometheus';
import { nodeEntry } from './entry-points';
import { GatewayAdminClient } from '../gateway/admin-client';

export { temporalEnvFor } from './stack-connection';

const stackFile = (config: StackConfig): string => join(config.stateDir, 'stack.json');
export const hostDataDir = (config: StackConfig): string => join(config.stateDir, 'hosts', config.hostName);
export const prometheusDir = (config: StackConfig): string => join(config.stateDir, 'prometheus');
/** Seconds between scrapes: analysis windows of compressed rollouts are a few seconds long. */
const STACK_SCRAPE_SECONDS = 1;

export type ComponentName = 'temporal' | 'gateway' | 'prometheus' | 'orchestrator' | 'host-agent';
// In start order: Prometheus before the orchestrator, which may read its windows from it.
const COMPONENTS: readonly ComponentName[] = ['temporal', 'gateway', 'prometheus', 'orchestrator', 'host-agent'];

export interface ProcessHealth {
  name: ComponentName;
  pid: number | null;
  port: number | null;
  logFile: string | null;
  startedAt: string | null;
  alive: boolean;
  healthy: boolean;
  detail: string;
}

function readStack(config: StackConfig): ProcessRecord[] {
  return existsSync(stackFile(config)) ? (JSON.parse(readFileSync(stackFile(config), 'utf8')) as ProcessRecord[]) : [];
}

function writeStack(config: StackConfig, records: ProcessRecord[]): void {
  const ordered = COMPONENTS.map((name) => records.find((r) => r.name === name)).filter((r): r is ProcessRecord => r !== undefined);
  writeFileSync(stackFile(config), JSON.stringify(ordered, null, 2));
}

async function httpOk(url: string): Promise<boolean> {
  const response = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
  await response.body.dump();
  return response.statusCode === 200;
}

function ensureAdminToken(config: StackConfig): string {
  const existing = adminToken(config);
  if (existing) return existing;
  const token = randomBytes(24).toString('hex');
  writeFileSync(adminTokenFile(config), token, { mode: 0o600 });
  return token;
}

async function workerPolling(client: Client | undefined, queue: string, kind: 'workflow' | 'activity', pid: number): Promise<boolean> {
  if (!client) return false;
  const pollers = await taskQueuePollers(client, queue, kind);
  return pollers.some((identity) => identity.startsWith(`${pid}@`));
}

const PORT_OF: Partial<Record<ComponentName, (config: StackConfig) => number>> = {
  temporal: (config) => config.temporalPort,
  gateway: (config) => config.gatewayPort,
  prometheus: (config) => config.prometheusPort,
};
const portOf = (config: StackConfig, name: ComponentName): number | null => PORT_OF[name]?.(config) ?? null;

/** Whether a process is this stack's `name`, judged by what it runs and how it was started. */
function isComponent(config: StackConfig, name: ComponentName, args: string[], env: () => Record<string, string>): boolean {
  const joined = args.join(' ');
  const ourTemporal = (): boolean => (env().TEMPORAL_ADDRESS ?? '127.0.0.1:7233') === temporalAddress(config);
  switch (name) {
    case 'temporal':
      return joined.includes('start-dev') && joined.includes(join(config.stateDir, 'temporal.sqlite'));
    case 'gateway':
      return joined.includes('gateway/main');
    case 'prometheus':
      return joined.includes(`--config.file=${join(prometheusDir(config), 'prometheus.yml')}`);
    case 'orchestrator':
      return joined.includes('workers/orchestrator') && ourTemporal();
    case 'host-agent': {
      if (!joined.includes('workers/host-agent')) return false;
      const e = env();
      return e.GANTRY_HOST_DATA_DIR !== undefined
        ? e.GANTRY_HOST_DATA_DIR === hostDataDir(config)
        : (e.GANTRY_HOST_NAME ?? 'local') === config.hostName && ourTemporal();
    }
  }
}

/** The running process of a component: its recorded pid if alive, else one found by port or command line. */
function findComponent(config: StackConfig, name: ComponentName, recorded: ProcessRecord | undefined): number | undefined {
  if (recorded && isAlive(recorded.pid)) return recorded.pid;
  // A server is whatever of ours listens on its port; a worker is found by command line and environment.
  const port = portOf(config, name);
  if (port !== null) {
    const listener = pidListeningOn(port);
    return listener !== undefined && isComponent(config, name, readArgs(listener), () => ({})) ? listener : undefined;
  }
  return pidsMatching((args, env) => isComponent(config, name, args, env))[0];
}

function readArgs(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

interface Health {
  healthy: boolean;
  detail: string;
}

async function componentHealth(config: StackConfig, name: ComponentName, pid: number, client: Client | undefined): Promise<Health> {
  switch (name) {
    case 'temporal':
      return client ? { healthy: true, detail: `Web UI ${temporalUi(config)}` } : { healthy: false, detail: 'not answering' };
    case 'gateway':
      return (await httpOk(`${gatewayUrl(config)}/healthz`).catch(() => false))
        ? { healthy: true, detail: gatewayUrl(config) }
        : { healthy: false, detail: 'not answering /healthz' };
    case 'prometheus':
      return (await prometheusReady(prometheusUrl(config)).catch(() => false))
        ? { healthy: true, detail: prometheusUrl(config) }
        : { healthy: false, detail: 'not ready' };
    case 'orchestrator':
      return (await workerPolling(client, CONTROL_TASK_QUEUE, 'workflow', pid).catch(() => false))
        ? { healthy: true, detail: `polling gantry, metrics from ${metricSourceOf(pid)}` }
        : { healthy: false, detail: 'not polling' };
    case 'host-agent':
      return (await workerPolling(client, hostTaskQueue(config.hostName), 'activity', pid).catch(() => false))
        ? { healthy: true, detail: `polling ${hostTaskQueue(config.hostName)}` }
        : { healthy: false, detail: 'not polling' };
  }
}

const HEALTH_TIMEOUT_MS: Record<ComponentName, number> = {
  temporal: 60_000,
  gateway: 30_000,
  prometheus: 30_000,
  orchestrator: 60_000,
  'host-agent': 60_000,
};

/** Where an orchestrator reads its analysis windows, from the environment it was started with. */
const metricSourceOf = (pid: number): string => environmentOf(pid).GANTRY_METRIC_PROVIDER ?? 'gateway';

export async function devUp(config: StackConfig, progress: (line: string) => void): Promise<ProcessRecord[]> {
  // The state folder holds the admin token, routes with upstream keys, users' prompts in pairs and
  // the Temporal database: the owner's only.
  mkdirSync(join(config.stateDir, 'logs'), { recursive: true, mode: 0o700 });
  chmodSync(config.stateDir, 0o700);
  const recorded = new Map(readStack(config).map((r) => [r.name as ComponentName, r]));
  const running = new Map<ComponentName, number>();
  for (const name of COMPONENTS) {
    const pid = findComponent(config, name, recorded.get(name));
    if (pid !== undefined) running.set(name, pid);
  }
  // Refuse before starting anything when a port the stack needs is taken by something else.
  const ports: [string, number, ComponentName][] = [
    ['Temporal', config.temporalPort, 'temporal'],
    ['Temporal Web UI', config.temporalUiPort, 'temporal'],
    ['Temporal HTTP API', config.temporalHttpPort, 'temporal'],
    ['Temporal metrics', config.temporalMetricsPort, 'temporal'],
    ['gateway', config.gatewayPort, 'gateway'],
    ['Prometheus', config.prometheusPort, 'prometheus'],
    ['orchestrator metrics', config.orchestratorMetricsPort, 'orchestrator'],
  ];
  for (const [what, port, owner] of ports) {
    if (!running.has(owner) && (await isPortInUse(port))) {
      throw new GantryError('PORT_IN_USE', `port ${port} (${what}) is already in use: free it or set its GANTRY_*_PORT variable`);
    }
  }
  // An orchestrator that reads its windows elsewhere than asked is restarted: rollouts are durable
  // and carry on with the new one.
  const orchestrator = running.get('orchestrator');
  const runningSource = orchestrator === undefined ? undefined : metricSourceOf(orchestrator);
  if (orchestrator !== undefined && config.metricSource !== undefined && runningSource !== config.metricSource) {
    progress(`orchestrator worker reads metrics from ${runningSource}: restarting it to read them from ${config.metricSource}`);
    await stopProcess(orchestrator);
    running.delete('orchestrator');
  }
  // What a new orchestrator reads, or what the one left running reads.
  const orchestratorSource = running.has('orchestrator') ? runningSource : (config.metricSource ?? 'gateway');
  const token = ensureAdminToken(config);
  const logs = (name: string): string => join(config.stateDir, 'logs', `${name}.log`);
  const temporalEnv = temporalEnvFor(config);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalEnv.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: temporalEnv.TEMPORAL_NAMESPACE,
    GANTRY_ADMIN_TOKEN: token,
    GANTRY_GATEWAY_URL: gatewayUrl(config),
    GANTRY_GATEWAY_PORT: String(config.gatewayPort),
    GANTRY_GATEWAY_DATA_DIR: join(config.stateDir, 'gateway'),
    GANTRY_HOST_NAME: config.hostName,
    GANTRY_HOST_DATA_DIR: hostDataDir(config),
    GANTRY_ORCHESTRATOR_DATA_DIR: join(config.stateDir, 'orchestrator'),
    GANTRY_METRIC_PROVIDER: config.metricSource ?? 'gateway',
    GANTRY_PROMETHEUS_URL: prometheusUrl(config),
    GANTRY_ORCHESTRATOR_METRICS_PORT: String(config.orchestratorMetricsPort),
  };
  const spawners: Record<ComponentName, () => ProcessRecord> = {
    temporal: () =>
      spawnDetached(
        'temporal',
        toolPath('temporal'),
        [
          'server',
          'start-dev',
          '--db-filename',
          join(config.stateDir, 'temporal.sqlite'),
          '--ip',
          '127.0.0.1',
          '--port',
          String(config.temporalPort),
          '--ui-port',
          String(config.temporalUiPort),
          '--http-port',
          String(config.temporalHttpPort),
          '--metrics-port',
          String(config.temporalMetricsPort),
          '--log-level',
          'warn',
          // Rollouts are filtered by route, phase, outcome and candidate in the Web UI and `rollout list`.
          ...startDevSearchAttributeFlags(),
          // With payloads encrypted, the Web UI asks `gantry dev codec-server` to decode them.
          ...(process.env.GANTRY_PAYLOAD_KEY ? ['--ui-codec-endpoint', codecEndpoint(config)] : []),
        ],
        process.env,
        logs('temporal'),
        config.temporalPort,
      ),
    gateway: () => spawnDetached('gateway', process.execPath, nodeEntry('gateway'), childEnv, logs('gateway'), config.gatewayPort),
    prometheus: () => {
      // Config and rules copied afresh from configs/prometheus; the gateway, the orchestrator's
      // rollout gauges and the host agent's target file as targets.
      const dir = prometheusDir(config);
      preparePrometheusDir(dir, STACK_SCRAPE_SECONDS, [join(hostDataDir(config), 'scrape-targets.json')]);
      writeScrapeTargets(dir, 'gateway', [{ address: new URL(gatewayUrl(config)).host }]);
      writeScrapeTargets(dir, 'orchestrator', [{ address: `127.0.0.1:${config.orchestratorMetricsPort}` }]);
      return spawnDetached(
        'prometheus',
        toolPath('prometheus'),
        prometheusArgs(dir, config.prometheusPort),
        process.env,
        logs('prometheus'),
        config.prometheusPort,
      );
    },
    orchestrator: () => spawnDetached('orchestrator', process.execPath, nodeEntry('orchestrator'), childEnv, logs('orchestrator'), null),
    'host-agent': () => spawnDetached('host-agent', process.execPath, nodeEntry('host-agent'), childEnv, logs('host-agent'), null),
  };
  const describe: Record<ComponentName, string> = {
    temporal: `Temporal dev server on :${config.temporalPort} (Web UI :${config.temporalUiPort})`,
    gateway: `gateway on :${config.gatewayPort}`,
    prometheus: `Prometheus on :${config.prometheusPort} (scraping the gateway and model servers every ${STACK_SCRAPE_SECONDS}s)`,
    orchestrator: `orchestrator worker (task queue gantry, metrics from ${orchestratorSource})`,
    'host-agent': `host agent "${config.hostName}" (task queue ${hostTaskQueue(config.hostName)})`,
  };

  const started: ProcessRecord[] = [];
  const kept: ProcessRecord[] = [];
  let client: Client | undefined;
  const connect = async (): Promise<boolean> => {
    client ??= await connectClient(temporalEnv);
    return true;
  };
  try {
    for (const name of COMPONENTS) {
      const pid = running.get(name);
      if (pid !== undefined) {
        const record = recorded.get(name);
        const adopted: ProcessRecord =
          record && record.pid === pid ? record : { name, pid, port: portOf(config, name), logFile: logs(name), startedAt: new Date().toISOString() };
        if (name === 'temporal') await waitUntilHealthy(adopted, connect, HEALTH_TIMEOUT_MS.temporal);
        else await waitUntilHealthy(adopted, async () => (await componentHealth(config, name, pid, client)).healthy, HEALTH_TIMEOUT_MS[name]);
        progress(`${describe[name]}: already running (pid ${pid})`);
        kept.push(adopted);
        continue;
      }
      progress(`starting ${describe[name]}`);
      const record = spawners[name]();
      started.push(record);
      if (name === 'temporal') await waitUntilHealthy(record, connect, HEALTH_TIMEOUT_MS.temporal);
      else await waitUntilHealthy(record, async () => (await componentHealth(config, name, record.pid, client)).healthy, HEALTH_TIMEOUT_MS[name]);
    }
  } catch (error) {
    for (const record of started.reverse()) await stopProcess(record.pid);
    throw error;
  } finally {
    await client?.connection.close();
  }
  ownerOnlyDatabase(config);
  const all = [...kept, ...started];
  writeStack(config, all);
  return all;
}

/** The Temporal server creates its SQLite files world-readable; they hold every rollout's history. */
function ownerOnlyDatabase(config: StackConfig): void {
  for (const suffix of ['', '-wal', '-shm']) {
    const file = join(config.stateDir, `temporal.sqlite${suffix}`);
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

export async function devDown(config: StackConfig, progress: (line: string) => void): Promise<string[]> {
  const stopped: string[] = [];
  const recorded = new Map(readStack(config).map((r) => [r.name as ComponentName, r]));
  // The host agent first, or it would bring back the model servers it sees die; then the model
  // servers (their records stay, so the host agent starts them again on the next `dev up`); then
  // the rest, in reverse start order.
  const stopComponent = async (name: ComponentName): Promise<void> => {
    const pid = findComponent(config, name, recorded.get(name));
    if (pid === undefined) return;
    progress(`stopping ${name} (pid ${pid})`);
    await stopProcess(pid);
    stopped.push(name);
  };
  await stopComponent('host-agent');
  const serversFile = join(hostDataDir(config), 'servers.json');
  if (existsSync(serversFile)) {
    for (const server of JSON.parse(readFileSync(serversFile, 'utf8')) as ServerRecord[]) {
      if (isAlive(server.pid)) {
        progress(`stopping model server ${server.deploymentId} (pid ${server.pid})`);
        await stopProcess(server.pid);
        stopped.push(server.deploymentId);
      }
    }
  }
  for (const name of [...COMPONENTS].reverse()) if (name !== 'host-agent') await stopComponent(name);
  writeStack(config, []);
  return stopped;
}

/** Routes whose stable the gateway's health checks find down (empty when the gateway cannot be asked). */
export async function routeWarnings(config: StackConfig): Promise<string[]> {
  const token = adminToken(config);
  if (!token) return [];
  const gateway = new GatewayAdminClient(gatewayUrl(config), token, 3_000);
  try {
    const warnings: string[] = [];
    for (const route of Object.keys(await gateway.listRoutes())) {
      const health = await gateway.routeHealth(route);
      if (health?.stable.healthy === false) warnings.push(`route ${route}: its stable ${health.stable.url} is DOWN (${health.stable.detail})`);
      if (health?.candidate?.healthy === false) warnings.push(`route ${route}: its candidate ${health.candidate.url} is DOWN (${health.candidate.detail})`);
    }
    return warnings;
  } catch {
    return [];
  }
}

/** Every component, running or not, with its health; a missing one is reported as down. */
export async function devStatus(config: StackConfig): Promise<ProcessHealth[]> {
  const recorded = new Map(readStack(config).map((r) => [r.name as ComponentName, r]));
  let client: Client | undefined;
  try {
    client = await connectClient(temporalEnvFor(config)).catch(() => undefined);
    return await Promise.all(
      COMPONENTS.map(async (name): Promise<ProcessHealth> => {
        const record = recorded.get(name);
        const pid = findComponent(config, name, record);
        const base = { name, port: portOf(config, name), logFile: record?.logFile ?? null, startedAt: record?.startedAt ?? null };
        if (pid === undefined) return { ...base, pid: null, alive: false, healthy: false, detail: 'not running' };
        return { ...base, pid, alive: true, ...(await componentHealth(config, name, pid, client)) };
      }),
    );
  } finally {
    await client?.connection.close();
  }
}
