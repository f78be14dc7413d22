// The model servers one host agent serves. Servers run detached with their logs in files, and a
// record of each deployment — what it serves, how, on which port — is kept until the deployment is
// stopped on purpose. So an agent restart re-adopts servers that still run, and restarts those
// that do not (after `gantry dev down`, a crash, a reboot) on their recorded port, which the
// gateway's routes still point at.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { request } from 'undici';
import { freePort, isPortInUse } from './free-port';
import { isAlive, stopProcess } from './process-control';
import { HEALTH_PATH, type LaunchCommand, type ServerLaunch } from '../adapters/model-server-engine';
import { writeScrapeTargetsFile } from './scrape-targets';
import { replaceJsonFile } from '../json-file';
import { insideFolder } from '../safe-path';
import { modelServerEnv } from './server-env';

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
  /** how to start it again; absent in records written before restarts were possible */
  launch?: ServerLaunch;
  /** times the agent brought it back after it died on its own, and when it last died */
  revivals?: number;
  lastCrashAt?: string;
}

/** What one look for crashed servers did. */
export interface CrashSweep {
  revived: ServerRecord[];
  /** crash-looping: left down until started again on purpose */
  givenUp: string[];
  failed: { deploymentId: string; error: string }[];
}

export interface CrashPolicy {
  readyTimeoutMs: number;
  /** revivals allowed within `windowMs`; one more crash and the deployment is left down */
  limit: number;
  windowMs: number;
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

export const baseUrlOf = (record: Pick<ServerRecord, 'endpoint'>): string => record.endpoint.replace(/\/v1$/, '');

export function lastLines(file: string, count: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join(' | ');
}

export type CommandBuilder = (launch: ServerLaunch, port: number) => LaunchCommand;

export class ServerSupervisor {
  private readonly servers = new Map<string, ServerRecord>();
  private readonly registryFile: string;
  /** starts and stops of one deployment, one at a time (the agent's restore and a stable check can meet) */
  private readonly busy = new Map<string, Promise<unknown>>();
  /** when each deployment was revived after a crash, within the crash policy's window */
  private readonly revivedAt = new Map<string, number[]>();
  /** crash-looping deployments left down, with the pid they died as */
  private readonly givenUp = new Map<string, number>();

  constructor(
    private readonly dataDir: string,
    private readonly commandFor: CommandBuilder,
    private readonly bindHost = '127.0.0.1',
  ) {
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    this.registryFile = join(dataDir, 'servers.json');
  }

  /** Loads the records a previous run of this agent kept: the running ones are adopted as they are. */
  readopt(): { running: ServerRecord[]; stopped: ServerRecord[] } {
    if (!existsSync(this.registryFile)) return { running: [], stopped: [] };
    const saved = JSON.parse(readFileSync(this.registryFile, 'utf8')) as ServerRecord[];
    for (const record of saved) this.servers.set(record.deploymentId, record);
    return { running: saved.filter((r) => isAlive(r.pid)), stopped: saved.filter((r) => !isAlive(r.pid)) };
  }

  get(deploymentId: string): ServerRecord | undefined {
    return this.servers.get(deploymentId);
  }

  isRunning(record: ServerRecord): boolean {
    return isAlive(record.pid);
  }

  private locked<T>(deploymentId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.busy.get(deploymentId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.busy.set(deploymentId, next);
    void next
      .finally(() => {
        if (this.busy.get(deploymentId) === next) this.busy.delete(deploymentId);
      })
      .catch(() => undefined);
    return next;
  }

  private save(): void {
    replaceJsonFile(this.registryFile, [...this.servers.values()]);
    // Every recorded server is a target (each engine serves Prometheus /metrics on its own port): one
    // that is recorded but down shows as up=0, which is worth an operator's eye.
    writeScrapeTargetsFile(
      join(this.dataDir, 'scrape-targets.json'),
      [...this.servers.values()].map((r) => ({
        address: new URL(baseUrlOf(r)).host,
        labels: { deployment: r.deploymentId, engine: r.engine, model: basename(r.modelPath) },
      })),
    );
  }

  /**
   * Starts a server and waits for /health to answer 200. `tick` is called on every poll (the
   * activity heartbeats there, which is also where cancellation reaches us).
   */
  start(deploymentId: string, launch: ServerLaunch, readyTimeoutMs: number, tick: (elapsedMs: number) => void, port?: number): Promise<ServerRecord> {
    this.forgetCrashes(deploymentId);
    return this.locked(deploymentId, () => this.launch(deploymentId, launch, readyTimeoutMs, tick, port));
  }

  private async launch(
    deploymentId: string,
    launch: ServerLaunch,
    readyTimeoutMs: number,
    tick: (elapsedMs: number) => void,
    port?: number,
  ): Promise<ServerRecord> {
    const chosen = port ?? (await freePort(this.bindHost));
    const command = this.commandFor(launch, chosen);
    const logFile = insideFolder(join(this.dataDir, 'logs'), `${deploymentId}.log`);
    const logFd = openSync(logFile, 'a');
    const child = spawn(command.file, command.args, { detached: true, stdio: ['ignore', logFd, logFd], env: modelServerEnv(process.env) });
    closeSync(logFd);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    child.unref();
    const baseUrl = `http://${this.bindHost}:${chosen}`;
    const record: ServerRecord = {
      deploymentId,
      pid: child.pid ?? -1,
      port: chosen,
      host: this.bindHost,
      endpoint: `${baseUrl}/v1`,
      modelPath: launch.modelPath,
      engine: launch.engine,
      logFile,
      startedAt: new Date().toISOString(),
      launch,
    };
    // Recorded at once: an agent that dies while the server starts finds it again when it comes back.
    const previous = this.servers.get(deploymentId);
    this.servers.set(deploymentId, record);
    this.save();
    const started = Date.now();
    try {
      for (;;) {
        const early = await Promise.race([spawnError, sleep(0).then(() => undefined)]);
        if (early) throw new ServerStartError('exited', `${command.file} could not start: ${early.message}`);
        if (child.exitCode !== null || child.signalCode !== null || !isAlive(record.pid)) {
          const tail = lastLines(logFile, 6);
          const kind = /address already in use|couldn't bind|bind/i.test(tail) ? 'port' : 'exited';
          throw new ServerStartError(kind, `${launch.engine} server exited before it was healthy: ${tail}`);
        }
        if (await isHealthy(baseUrl)) break;
        const elapsed = Date.now() - started;
        if (elapsed > readyTimeoutMs) {
          throw new ServerStartError('unhealthy', `${launch.engine} server not healthy after ${Math.round(elapsed / 1000)}s: ${lastLines(logFile, 6)}`);
        }
        tick(elapsed);
        await sleep(500);
      }
    } catch (error) {
      await stopProcess(record.pid, 5_000);
      // A failed restart keeps the deployment's record, so it can be tried again.
      if (previous) this.servers.set(deploymentId, previous);
      else this.servers.delete(deploymentId);
      this.save();
      throw error;
    }
    return record;
  }

  /**
   * Starts a recorded deployment that is not running, on its recorded port when that is free (the
   * routes point there), else on a new one. Throws when there is no record to start it from.
   */
  restart(deploymentId: string, readyTimeoutMs: number, tick: (elapsedMs: number) => void): Promise<ServerRecord> {
    this.forgetCrashes(deploymentId); // started on purpose: a crash loop given up on is watched afresh
    return this.relaunch(deploymentId, readyTimeoutMs, tick);
  }

  private forgetCrashes(deploymentId: string): void {
    this.revivedAt.delete(deploymentId);
    this.givenUp.delete(deploymentId);
  }

  private relaunch(deploymentId: string, readyTimeoutMs: number, tick: (elapsedMs: number) => void): Promise<ServerRecord> {
    return this.locked(deploymentId, async () => {
      const record = this.servers.get(deploymentId);
      if (!record?.launch) throw new ServerStartError('exited', `no launch record for deployment ${deploymentId}`);
      // Another caller may have restarted it while this one waited its turn.
      if (isAlive(record.pid) && (await isHealthy(baseUrlOf(record)))) return record;
      if (isAlive(record.pid)) await stopProcess(record.pid, 5_000);
      if (await isPortInUse(record.port, this.bindHost)) return this.launch(deploymentId, record.launch, readyTimeoutMs, tick);
      try {
        return await this.launch(deploymentId, record.launch, readyTimeoutMs, tick, record.port);
      } catch (error) {
        // Taken between the look and the bind: any free port will do, the stable check re-points the route.
        if (error instanceof ServerStartError && error.kind === 'port') return this.launch(deploymentId, record.launch, readyTimeoutMs, tick);
        throw error;
      }
    });
  }

  /**
   * Brings back recorded servers that died without being stopped on purpose (a crash, the OOM
   * killer), on their recorded port where the routes point. One being started or stopped is left to
   * that; one that crashes more than `limit` times within `windowMs` is left down: a crash loop is
   * not mended by restarting, and the gateway's health checks and breaker take it off its route.
   */
  async reviveCrashed(policy: CrashPolicy, now: () => number = Date.now): Promise<CrashSweep> {
    const sweep: CrashSweep = { revived: [], givenUp: [], failed: [] };
    for (const [deploymentId, record] of [...this.servers]) {
      if (this.busy.has(deploymentId) || !record.launch || isAlive(record.pid)) continue;
      if (this.givenUp.get(deploymentId) === record.pid) continue;
      const recent = (this.revivedAt.get(deploymentId) ?? []).filter((at) => now() - at < policy.windowMs);
      if (recent.length >= policy.limit) {
        this.givenUp.set(deploymentId, record.pid);
        sweep.givenUp.push(deploymentId);
        continue;
      }
      this.revivedAt.set(deploymentId, [...recent, now()]);
      const crashedAt = new Date(now()).toISOString();
      try {
        const revived = await this.relaunch(deploymentId, policy.readyTimeoutMs, () => undefined);
        // Stopped on purpose meanwhile: nothing to note.
        if (this.servers.get(deploymentId) !== revived) continue;
        const noted = { ...revived, revivals: (record.revivals ?? 0) + 1, lastCrashAt: crashedAt };
        this.servers.set(deploymentId, noted);
        this.save();
        sweep.revived.push(noted);
      } catch (error) {
        sweep.failed.push({ deploymentId, error: (error as Error).message });
      }
    }
    return sweep;
  }

  /** Stops a deployment on purpose: its process and its record. */
  stop(deploymentId: string): Promise<boolean> {
    return this.locked(deploymentId, async () => {
      const record = this.servers.get(deploymentId);
      if (!record) return false;
      await stopProcess(record.pid);
      this.servers.delete(deploymentId);
      this.save();
      return true;
    });
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.servers.keys()]) await this.stop(id);
  }
}
