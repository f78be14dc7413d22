// The per-rollout interval record's activity: the workflow appends each analysis interval through
// it, to whichever store the orchestrator opened (files, or PostgreSQL beside the pair store).
import type { IntervalEntry } from '../analysis/interval-record';
import type { IntervalRecordStore } from '../adapters/interval-record-store';

export function createRecordActivities(deps: { records: IntervalRecordStore }) {
  async function recordInterval(input: { rolloutId: string; entry: IntervalEntry }): Promise<void> {
    await deps.records.append(input.rolloutId, input.entry);
  }
  return { recordInterval };
}

export type RecordActivities = ReturnType<typeof createRecordActivities>;
