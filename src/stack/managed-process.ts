// Starting the stack's processes detached, with logs in files and pids recorded, and waiting for
// them to become healthy with the log's last lines in the error when they do not.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive } from '../hosts/process-control';
import { lastLines } from '../hosts/server-supervisor';
import { GantryError } from '../errors';

export interface ProcessRecord {
  name: string;
  pid: number;
  port: number | null;
  logFile: string;
  startedAt: string;
}

export function spawnDetached(name: string, file: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, port: number | null): ProcessRecord {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new GantryError('TOOL_MISSING', `${name}: could not start ${file}`);
  return { name, pid: child.pid, port, logFile, startedAt: new Date().toISOString() };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `healthy` until it holds; fails at once if the process dies, or after timeoutMs. */
export async function waitUntilHealthy(record: ProcessRecord, healthy: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(record.pid)) {
      throw new GantryError('SERVER_START_FAILED', `${record.name} exited during start-up: ${lastLines(record.logFile, 4)}`);
    }
    if (await healthy().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new GantryError('SERVER_NOT_HEALTHY', `${record.name} not healthy after ${Math.round(timeoutMs / 1000)}s: ${lastLines(record.logFile, 4)}`);
    }
    await sleep(250);
  }
}
