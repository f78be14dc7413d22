// The embedded stack: Temporal dev server (SQLite under the state folder, Web UI), gateway,
// orchestrator worker and one host agent. `up` starts what is missing and waits for each to be
// healthy; on any failure it stops what it started. `down` stops exactly what `up` recorded, and
// the model servers the host agent started.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { Client } from '@temporalio/client';
import { REPO_ROOT, toolPath } from '../config/toolchain';
import { GantryError } from '../errors';
import { isAlive, stopProcess } from '../hosts/process-control';
import { isPortInUse } from '../hosts/free-port';
import type { ServerRecord } from '../hosts/server-supervisor';
import { connectClient, taskQueuePollers } from '../temporal/client';
import { temporalEnvSchema, type TemporalEnv } from '../temporal/connection-config';
import { CONTROL_TASK_QUEUE, hostTaskQueue } from '../workflows/messages';
import { spawnDetached, waitUntilHealthy, type ProcessRecord } from './managed-process';
import { adminToken, adminTokenFile, gatewayUrl, temporalAddress, temporalUi, type StackConfig } from './stack-config';

const TSX = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
const stackFile = (config: StackConfig): string => join(config.stateDir, 'stack.json');
const hostDataDir = (config: StackConfig): string => join(config.stateDir, 'hosts', config.hostName);

export interface ProcessHealth extends ProcessRecord {
  alive: boolean;
  healthy: boolean;
  detail: string;
}

export function temporalEnvFor(config: StackConfig): TemporalEnv {
  return temporalEnvSchema.parse({ ...process.env, TEMPORAL_ADDRESS: temporalAddress(config), GANTRY_TEMPORAL_UI: temporalUi(config) });
}

function readStack(config: StackConfig): ProcessRecord[] {
  return existsSync(stackFile(config)) ? (JSON.parse(readFileSync(stackFile(config), 'utf8')) as ProcessRecord[]) : [];
}

function writeStack(config: StackConfig, records: ProcessRecord[]): void {
  writeFileSync(stackFile(config), JSON.stringify(records, null, 2));
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

export async function devUp(config: StackConfig, progress: (line: string) => void): Promise<ProcessRecord[]> {
  mkdirSync(join(config.stateDir, 'logs'), { recursive: true });
  const running = readStack(config).filter((r) => isAlive(r.pid));
  if (running.length === 4) {
    progress('the dev stack is already running');
    return running;
  }
  if (running.length > 0) {
    throw new GantryError('REFUSED', `the dev stack is partly running (${running.map((r) => r.name).join(', ')}): run \`gantry dev down\` first`);
  }
  // Refuse before starting anything when a port is taken: nothing half-started.
  const ports: [string, number][] = [
    ['Temporal', config.temporalPort],
    ['Temporal Web UI', config.temporalUiPort],
    ['Temporal HTTP API', config.temporalHttpPort],
    ['Temporal metrics', config.temporalMetricsPort],
    ['gateway', config.gatewayPort],
  ];
  for (const [name, port] of ports) {
    if (await isPortInUse(port)) throw new GantryError('PORT_IN_USE', `port ${port} (${name}) is already in use: free it or set its GANTRY_*_PORT variable`);
  }
  const token = ensureAdminToken(config);
  const started: ProcessRecord[] = [];
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
  };
  const node = (name: string, script: string, port: number | null): ProcessRecord =>
    spawnDetached(name, process.execPath, ['--import', TSX, join(REPO_ROOT, script)], childEnv, logs(name), port);
  let client: Client | undefined;
  try {
    progress(`starting Temporal dev server on :${config.temporalPort} (Web UI :${config.temporalUiPort})`);
    const temporal = spawnDetached(
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
      ],
      process.env,
      logs('temporal'),
      config.temporalPort,
    );
    started.push(temporal);
    await waitUntilHealthy(
      temporal,
      async () => {
        client = await connectClient(temporalEnv);
        return true;
      },
      60_000,
    );

    progress(`starting gateway on :${config.gatewayPort}`);
    const gateway = node('gateway', 'src/gateway/main.ts', config.gatewayPort);
    started.push(gateway);
    await waitUntilHealthy(gateway, () => httpOk(`${gatewayUrl(config)}/healthz`), 30_000);

    progress('starting orchestrator worker (task queue gantry)');
    const orchestrator = node('orchestrator', 'src/workers/orchestrator.ts', null);
    started.push(orchestrator);
    await waitUntilHealthy(orchestrator, () => workerPolling(client, CONTROL_TASK_QUEUE, 'workflow', orchestrator.pid), 60_000);

    progress(`starting host agent "${config.hostName}" (task queue ${hostTaskQueue(config.hostName)})`);
    const host = node('host-agent', 'src/workers/host-agent.ts', null);
    started.push(host);
    await waitUntilHealthy(host, () => workerPolling(client, hostTaskQueue(config.hostName), 'activity', host.pid), 60_000);
  } catch (error) {
    for (const record of started.reverse()) await stopProcess(record.pid);
    throw error;
  } finally {
    await client?.connection.close();
  }
  writeStack(config, started);
  return started;
}

export async function devDown(config: StackConfig, progress: (line: string) => void): Promise<string[]> {
  const stopped: string[] = [];
  // Model servers first: they were started for rollouts through this stack's host agent.
  const serversFile = join(hostDataDir(config), 'servers.json');
  if (existsSync(serversFile)) {
    for (const server of JSON.parse(readFileSync(serversFile, 'utf8')) as ServerRecord[]) {
      if (isAlive(server.pid)) {
        progress(`stopping model server ${server.deploymentId} (pid ${server.pid})`);
        await stopProcess(server.pid);
        stopped.push(server.deploymentId);
      }
    }
    rmSync(serversFile);
  }
  for (const record of readStack(config).reverse()) {
    if (isAlive(record.pid)) {
      progress(`stopping ${record.name} (pid ${record.pid})`);
      await stopProcess(record.pid);
      stopped.push(record.name);
    }
  }
  rmSync(stackFile(config), { force: true });
  return stopped;
}

export async function devStatus(config: StackConfig): Promise<ProcessHealth[]> {
  const records = readStack(config);
  let client: Client | undefined;
  try {
    client = await connectClient(temporalEnvFor(config)).catch(() => undefined);
    const health = async (record: ProcessRecord): Promise<{ healthy: boolean; detail: string }> => {
      if (!isAlive(record.pid)) return { healthy: false, detail: 'not running' };
      switch (record.name) {
        case 'temporal':
          return client ? { healthy: true, detail: `Web UI ${temporalUi(config)}` } : { healthy: false, detail: 'not answering' };
        case 'gateway':
          return (await httpOk(`${gatewayUrl(config)}/healthz`).catch(() => false))
            ? { healthy: true, detail: gatewayUrl(config) }
            : { healthy: false, detail: 'not answering /healthz' };
        case 'orchestrator':
          return (await workerPolling(client, CONTROL_TASK_QUEUE, 'workflow', record.pid).catch(() => false))
            ? { healthy: true, detail: 'polling gantry' }
            : { healthy: false, detail: 'not polling' };
        default:
          return (await workerPolling(client, hostTaskQueue(config.hostName), 'activity', record.pid).catch(() => false))
            ? { healthy: true, detail: `polling ${hostTaskQueue(config.hostName)}` }
            : { healthy: false, detail: 'not polling' };
      }
    };
    return await Promise.all(records.map(async (record) => ({ ...record, alive: isAlive(record.pid), ...(await health(record)) })));
  } finally {
    await client?.connection.close();
  }
}
