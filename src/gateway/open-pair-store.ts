// Picks the pair store from the gateway's configuration: PostgreSQL when a URL is given, the
// embedded files otherwise.
import { join } from 'node:path';
import { JsonlPairStore } from './jsonl-pair-store';
import { PostgresPairStore } from './postgres-pair-store';
import type { PairStore } from './pair-store';

export interface PairStoreSettings {
  /** the gateway's data directory; files go under pairs/ */
  dataDir: string;
  postgresUrl?: string;
  maxFileBytes: number;
  retentionDays: number;
}

export async function openPairStore(settings: PairStoreSettings): Promise<PairStore> {
  if (settings.postgresUrl) return PostgresPairStore.open({ url: settings.postgresUrl, retentionDays: settings.retentionDays });
  return new JsonlPairStore({ dir: join(settings.dataDir, 'pairs'), maxFileBytes: settings.maxFileBytes, retentionDays: settings.retentionDays });
}
