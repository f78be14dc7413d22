// Load from a second process: wrk (Debian) posting one chat completion body over keep-alive
// connections, with its latency distribution parsed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { toolPath } from '../../src/config/toolchain';

export interface LoadResult {
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match?.[1] || !match[2]) throw new Error(`wrk: unreadable duration "${text}"`);
  return Number(match[1]) * (UNIT_MS[match[2]] ?? Number.NaN);
}

export function parseWrk(output: string, connections: number): LoadResult {
  const percentile = (p: string): number => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output);
    if (!match?.[1]) throw new Error(`wrk: no ${p}% line in:\n${output}`);
    return durationMs(match[1]);
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return { connections, requestsPerSecond: Number(rps), p50Ms: percentile('50'), p99Ms: percentile('99'), errors };
}

export function writeWrkScript(dir: string, body: string, headers: Record<string, string> = {}): string {
  const file = join(dir, 'post.lua');
  const headerLines = Object.entries({ 'Content-Type': 'application/json', ...headers })
    .map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
    .join('\n');
  writeFileSync(file, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n${headerLines}\n`);
  return file;
}

export async function runWrk(url: string, script: string, connections: number, seconds: number): Promise<LoadResult> {
  const { stdout } = await execa(toolPath('wrk'), ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url]);
  return parseWrk(stdout, connections);
}
