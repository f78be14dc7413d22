// The interval record in PostgreSQL, beside the shadow pairs: one row per rollout and instant, the
// entry as jsonb. The instant is the key, so an append retried after a lost acknowledgement is
// kept once. Records are kept as long as the database keeps them: a report of an old rollout
// needs its record (the pair store's retention does not apply).
import pg from 'pg';
import type { IntervalEntry } from '../analysis/interval-record';
import { openPostgres, redactedUrl } from '../postgres-pool';
import type { IntervalRecordStore } from './interval-record-store';

const TABLE = 'gantry_interval_records';
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS gantry_interval_records (
    rollout_id text NOT NULL,
    at_ms bigint NOT NULL,
    entry jsonb NOT NULL,
    PRIMARY KEY (rollout_id, at_ms)
  );
`;

export class PostgresIntervalRecord implements IntervalRecordStore {
  private constructor(
    private readonly pool: pg.Pool,
    readonly where: string,
  ) {}

  static async open(url: string): Promise<PostgresIntervalRecord> {
    const pool = await openPostgres({ url, schema: SCHEMA, table: TABLE, what: 'interval record', maxConnections: 2 });
    return new PostgresIntervalRecord(pool, redactedUrl(url));
  }

  async append(rolloutId: string, entry: IntervalEntry): Promise<void> {
    await this.pool.query('INSERT INTO gantry_interval_records (rollout_id, at_ms, entry) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      rolloutId,
      entry.at,
      JSON.stringify(entry),
    ]);
  }

  async read(rolloutId: string): Promise<IntervalEntry[] | null> {
    const result = await this.pool.query<{ entry: IntervalEntry }>('SELECT entry FROM gantry_interval_records WHERE rollout_id = $1 ORDER BY at_ms', [
      rolloutId,
    ]);
    return result.rows.length === 0 ? null : result.rows.map((row) => row.entry);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
