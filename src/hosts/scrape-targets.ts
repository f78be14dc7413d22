// Prometheus file-based service discovery: a JSON list of target groups that Prometheus re-reads
// when it changes. The host agent keeps one for its model servers; `gantry dev` one for the gateway.
import { replaceJsonFile } from '../json-file';

export interface ScrapeTarget {
  /** host:port */
  address: string;
  labels?: Record<string, string>;
}

/** Replaced whole: Prometheus may read the file at any moment. */
export function writeScrapeTargetsFile(file: string, targets: readonly ScrapeTarget[]): void {
  replaceJsonFile(
    file,
    targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} })),
  );
}
