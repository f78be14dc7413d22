// The interval record in PostgreSQL, beside the shadow pairs: one row per rollout and instant, the
// entry as jsonb. The instant is the key, so an append retried after a lost acknowledgement is
// kept once. Records are kept as long as the database keeps them: a report of an old rollout
// needs its record (the pair store's retention does not apply).
import pg from 'pg';
import type { IntervalEntry } from '../analysis/interval-record';
import { redactedUrl } from '../gateway/postgres-pair-store';
import type { IntervalRecordStore } from './interval-record-store';

// Orchestrators may start together; the advisory lock keeps their CREATE TABLEs from racing.
const SCHEMA = `
  SELECT pg_advisory_xact_lock(hashtext('gantry_interval_records'));
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
    const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000 });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      await pool.query(`BEGIN; ${SCHEMA} COMMIT;`);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new Error(`interval record: cannot use PostgreSQL at ${redactedUrl(url)}: ${(error as Error).message}`, { cause: error });
    }
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
