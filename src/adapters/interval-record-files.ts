// The interval record in files: one JSON line per analysis interval under the orchestrator's data
// folder (`records/<rollout>.jsonl`, owner-only: summaries can quote users' traffic figures).
// Appends only; a retried append that wrote twice is read back once.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { distinctEntries, type IntervalEntry } from '../analysis/interval-record';
import type { IntervalRecordStore } from './interval-record-store';

/** Rollout ids become file names: anything but a plain id character is encoded. */
const fileName = (rolloutId: string): string => `${encodeURIComponent(rolloutId).replace(/^\./, '%2E')}.jsonl`;

export class FileIntervalRecord implements IntervalRecordStore {
  /** the records folder */
  readonly where: string;

  constructor(dataDir: string) {
    this.where = join(dataDir, 'records');
  }

  private fileOf(rolloutId: string): string {
    return join(this.where, fileName(rolloutId));
  }

  async append(rolloutId: string, entry: IntervalEntry): Promise<void> {
    await mkdir(this.where, { recursive: true, mode: 0o700 });
    await appendFile(this.fileOf(rolloutId), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  }

  async read(rolloutId: string): Promise<IntervalEntry[] | null> {
    let text: string;
    try {
      text = await readFile(this.fileOf(rolloutId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    // A line cut short by a crash mid-append is the last one; it is left out.
    const entries = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line): IntervalEntry[] => {
        try {
          return [JSON.parse(line) as IntervalEntry];
        } catch {
          return [];
        }
      });
    return distinctEntries(entries);
  }

  async close(): Promise<void> {}
}
