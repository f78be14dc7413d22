// Where each rollout's interval record is kept: files under the orchestrator's data folder by
// default, PostgreSQL when the pair store is PostgreSQL (the same GANTRY_PAIR_STORE_URL), so
// orchestrators on several machines and the CLI anywhere read one record.
import type { IntervalEntry } from '../analysis/interval-record';

export interface IntervalRecordStore {
  /** for messages: the folder, or the database with its password hidden */
  readonly where: string;
  /** Appends one interval; appending the same instant again keeps the first. */
  append(rolloutId: string, entry: IntervalEntry): Promise<void>;
  /** The record of a rollout, oldest first, each instant once; null when there is none. */
  read(rolloutId: string): Promise<IntervalEntry[] | null>;
  close(): Promise<void>;
}
