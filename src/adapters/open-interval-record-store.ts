// Chooses the interval record's store: PostgreSQL when the stack has it, files otherwise.
import type { IntervalRecordStore } from './interval-record-store';
import { FileIntervalRecord } from './interval-record-files';
import { PostgresIntervalRecord } from './interval-record-postgres';

/** Opens the store; with PostgreSQL, connects and creates its table, or fails with a clear error. */
export async function openIntervalRecordStore(settings: { dataDir: string; postgresUrl?: string | undefined }): Promise<IntervalRecordStore> {
  if (settings.postgresUrl) return PostgresIntervalRecord.open(settings.postgresUrl);
  return new FileIntervalRecord(settings.dataDir);
}
