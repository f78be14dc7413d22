// Prometheus file-based service discovery: a JSON list of target groups that Prometheus re-reads
// when it changes. The host agent keeps one for its model servers; `gantry dev` one for the gateway.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ScrapeTarget {
  /** host:port */
  address: string;
  labels?: Record<string, string>;
}

/** Written atomically: Prometheus may read the file at any moment. */
export function writeScrapeTargetsFile(file: string, targets: readonly ScrapeTarget[]): void {
  mkdirSync(dirname(file), { recursive: true });
  const groups = targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} }));
  writeFileSync(`${file}.tmp`, `${JSON.stringify(groups, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
