// The model servers one host agent started. Servers run detached with their logs in files, and
// their records are saved, so an agent restart re-adopts running servers instead of orphaning them.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from './free-port';
import { isAlive, stopProcess } from './process-control';
import type { LaunchCommand } from '../adapters/model-server-engine';
import { HEALTH_PATH } from '../adapters/model-server-engine';

export interface ServerRecord {
  deploymentId: string;
  pid: number;
  port: number;
  host: string;
  /** OpenAI base URL, ending in /v1 */
  endpoint: string;
  modelPath: string;
  engine: string;
  logFile: string;
  startedAt: string;
}

export class ServerStartError extends Error {
  constructor(
    readonly kind: 'exited' | 'unhealthy' | 'port',
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function isHealthy(baseUrl: string): Promise<boolean> {
  try {
    const response = await request(`${baseUrl}${HEALTH_PATH}`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

export function lastLines(file: string, count: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join(' | ');
}

export class ServerSupervisor {
  private readonly servers = new Map<string, ServerRecord>();
  private readonly registryFile: string;

  constructor(
    private readonly dataDir: string,
    private readonly bindHost = '127.0.0.1',
  ) {
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    this.registryFile = join(dataDir, 'servers.json');
  }

  /** Re-adopts the servers a previous run of this agent started and that are still alive. */
  readopt(): ServerRecord[] {
    if (!existsSync(this.registryFile)) return [];
    const saved = JSON.parse(readFileSync(this.registryFile, 'utf8')) as ServerRecord[];
    for (const record of saved) if (isAlive(record.pid)) this.servers.set(record.deploymentId, record);
    this.save();
    return [...this.servers.values()];
  }

  get(deploymentId: string): ServerRecord | undefined {
    return this.servers.get(deploymentId);
  }

  list(): ServerRecord[] {
    return [...this.servers.values()];
  }

  private save(): void {
    const tmp = `${this.registryFile}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.servers.values()], null, 2));
    renameSync(tmp, this.registryFile);
  }

  /**
   * Starts a server and waits for /health to answer 200. `tick` is called on every poll (the
   * activity heartbeats there, which is also where cancellation reaches us).
   */
  async start(
    deploymentId: string,
    modelPath: string,
    engine: string,
    buildCommand: (port: number) => LaunchCommand,
    readyTimeoutMs: number,
    tick: (elapsedMs: number) => void,
  ): Promise<ServerRecord> {
    const port = await freePort(this.bindHost);
    const command = buildCommand(port);
    const logFile = join(this.dataDir, 'logs', `${deploymentId}.log`);
    const logFd = openSync(logFile, 'a');
    const child = spawn(command.file, command.args, { detached: true, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    child.unref();
    const baseUrl = `http://${this.bindHost}:${port}`;
    const record: ServerRecord = {
      deploymentId,
      pid: child.pid ?? -1,
      port,
      host: this.bindHost,
      endpoint: `${baseUrl}/v1`,
      modelPath,
      engine,
      logFile,
      startedAt: new Date().toISOString(),
    };
    const started = Date.now();
    try {
      for (;;) {
        const early = await Promise.race([spawnError, sleep(0).then(() => undefined)]);
        if (early) throw new ServerStartError('exited', `${command.file} could not start: ${early.message}`);
        if (child.exitCode !== null || child.signalCode !== null || !isAlive(record.pid)) {
          const tail = lastLines(logFile, 6);
          const kind = /address already in use|couldn't bind|bind/i.test(tail) ? 'port' : 'exited';
          throw new ServerStartError(kind, `${engine} server exited before it was healthy: ${tail}`);
        }
        if (await isHealthy(baseUrl)) break;
        const elapsed = Date.now() - started;
        if (elapsed > readyTimeoutMs) {
          throw new ServerStartError('unhealthy', `${engine} server not healthy after ${Math.round(elapsed / 1000)}s: ${lastLines(logFile, 6)}`);
        }
        tick(elapsed);
        await sleep(500);
      }
    } catch (error) {
      await stopProcess(record.pid, 5_000);
      throw error;
    }
    this.servers.set(deploymentId, record);
    this.save();
    return record;
  }

  async stop(deploymentId: string): Promise<boolean> {
    const record = this.servers.get(deploymentId);
    if (!record) return false;
    await stopProcess(record.pid);
    this.servers.delete(deploymentId);
    this.save();
    return true;
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.servers.keys()]) await this.stop(id);
  }
}
