// A Prometheus for a Gantry stack: the config and alert rules from configs/prometheus copied into a
// folder of its own, with targets written as file-based service discovery, and Debian's binary
// started on a loopback port.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../config/package-root';
import { toolPath } from '../config/toolchain';
import { spawnDetached, waitUntilHealthy, type ProcessRecord } from './managed-process';
import { writeScrapeTargetsFile, type ScrapeTarget } from '../hosts/scrape-targets';

export const PROMETHEUS_CONFIG_DIR = join(PACKAGE_ROOT, 'configs', 'prometheus');

/** The scrape jobs whose targets come from files: the gateway, the model servers host agents start, the orchestrators. */
export type ScrapeJob = 'gateway' | 'model-servers' | 'orchestrator';

/** Writes a job's targets into the folder's own target file. */
export function writeScrapeTargets(dir: string, job: ScrapeJob, targets: readonly ScrapeTarget[]): void {
  writeScrapeTargetsFile(join(dir, 'targets', `${job}.json`), targets);
}

/**
 * The shipped config and rules in `dir`, with the scrape and evaluation interval set, and the host
 * agents' own target files (each agent keeps `<its data dir>/scrape-targets.json`) read as well.
 */
export function preparePrometheusDir(dir: string, scrapeIntervalSeconds: number, hostTargetFiles: readonly string[] = []): string {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const config = readFileSync(join(PROMETHEUS_CONFIG_DIR, 'prometheus.yml'), 'utf8')
    .replace(/^(\s*scrape_interval:).*$/m, `$1 ${scrapeIntervalSeconds}s`)
    .replace(/^(\s*evaluation_interval:).*$/m, `$1 ${scrapeIntervalSeconds}s`)
    .replace('[targets/model-servers.json]', `[${['targets/model-servers.json', ...hostTargetFiles.map((f) => JSON.stringify(f))].join(', ')}]`);
  writeFileSync(join(dir, 'prometheus.yml'), config);
  copyFileSync(join(PROMETHEUS_CONFIG_DIR, 'alerts.yml'), join(dir, 'alerts.yml'));
  for (const job of ['gateway', 'model-servers', 'orchestrator'] as const) writeScrapeTargets(dir, job, []);
  return join(dir, 'prometheus.yml');
}

export function prometheusArgs(dir: string, port: number): string[] {
  return [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=30d',
    '--log.level=warn',
  ];
}

/** Whether Prometheus answers ready; 5 s allowed, as a loaded machine can be slow to schedule it. */
export async function prometheusReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(5_000) });
  return response.ok;
}

/** Starts Prometheus detached on `dir` (prepared) and waits until it answers ready. */
export async function startPrometheus(dir: string, port: number, logFile: string, timeoutMs = 30_000): Promise<ProcessRecord> {
  const record = spawnDetached('prometheus', toolPath('prometheus'), prometheusArgs(dir, port), process.env, logFile, port);
  await waitUntilHealthy(record, () => prometheusReady(`http://127.0.0.1:${port}`), timeoutMs);
  return record;
}
