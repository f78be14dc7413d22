// The per-rollout interval record: one JSON line per analysis interval under the orchestrator's
// data folder (`records/<rollout>.jsonl`, owner-only: summaries can quote users' traffic figures).
// Appends only; a retried append that wrote twice is read back once.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { distinctEntries, type IntervalEntry } from '../analysis/interval-record';

/** Rollout ids become file names: anything but a plain id character is encoded. */
const fileName = (rolloutId: string): string => `${encodeURIComponent(rolloutId).replace(/^\./, '%2E')}.jsonl`;

export const intervalRecordFile = (dataDir: string, rolloutId: string): string => join(dataDir, 'records', fileName(rolloutId));

export function createRecordActivities(deps: { dataDir: string }) {
  async function recordInterval(input: { rolloutId: string; entry: IntervalEntry }): Promise<void> {
    await mkdir(join(deps.dataDir, 'records'), { recursive: true, mode: 0o700 });
    await appendFile(intervalRecordFile(deps.dataDir, input.rolloutId), `${JSON.stringify(input.entry)}\n`, { mode: 0o600 });
  }
  return { recordInterval };
}

export type RecordActivities = ReturnType<typeof createRecordActivities>;

/** The record of a rollout, oldest first; null when there is none (no interval analysed yet, or elsewhere). */
export async function readIntervalRecord(dataDir: string, rolloutId: string): Promise<IntervalEntry[] | null> {
  let text: string;
  try {
    text = await readFile(intervalRecordFile(dataDir, rolloutId), 'utf8');
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
