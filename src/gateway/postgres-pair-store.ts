// The pair store for several gateway replicas: one PostgreSQL table every replica appends to.
// Pairs are inserted in batches (one statement per flush, committed on its own), and append()
// resolves after the commit. Rows older than the retention are deleted hourly.
import pg from 'pg';
import type { PairPage, PairRange, PairStore, ShadowPair } from './pair-store';
import { BatchedWrites } from './batched-writes';
import { openPostgres } from '../postgres-pool';

export interface PostgresPairStoreOptions {
  /** a libpq connection string: postgres://user:password@host:port/database */
  url: string;
  retentionDays: number;
  flushIntervalMs?: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS gantry_shadow_pairs (
    id bigserial PRIMARY KEY,
    request_id text NOT NULL,
    recorded_at timestamptz NOT NULL,
    route text NOT NULL,
    pair jsonb NOT NULL
  );
  CREATE INDEX IF NOT EXISTS gantry_shadow_pairs_route_time ON gantry_shadow_pairs (route, recorded_at DESC, id DESC);
  ALTER TABLE gantry_shadow_pairs ADD COLUMN IF NOT EXISTS rollout_id text;
  CREATE INDEX IF NOT EXISTS gantry_shadow_pairs_rollout ON gantry_shadow_pairs (route, rollout_id, id);
`;

/**
 * Ids come from a sequence at insert time, and replicas commit concurrently: a row with a lower id
 * can become visible after a higher one was read. Rows are read only once they are this old, by
 * which time every batch inserted before them has long committed (a batch commits in milliseconds).
 */
const SETTLE_MS = 2_000;

export { redactedUrl } from '../postgres-pool';

export class PostgresPairStore implements PairStore {
  private readonly writes: BatchedWrites<ShadowPair>;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresPairStoreOptions,
  ) {
    this.writes = new BatchedWrites({
      writeBatch: (pairs) => this.insert(pairs),
      intervalMs: options.flushIntervalMs ?? 100,
      sweep: () => this.sweep(),
    });
  }

  /** Connects and creates the table when missing; a clear error when the database cannot be used. */
  static async open(options: PostgresPairStoreOptions): Promise<PostgresPairStore> {
    const pool = await openPostgres({ url: options.url, schema: SCHEMA, table: 'gantry_shadow_pairs', what: 'pair store', maxConnections: 4 });
    return new PostgresPairStore(pool, options);
  }

  append(pair: ShadowPair): Promise<void> {
    return this.writes.add(pair);
  }

  async recent(route: string, limit: number): Promise<ShadowPair[]> {
    const result = await this.pool.query<{ pair: ShadowPair }>(
      'SELECT pair FROM gantry_shadow_pairs WHERE route = $1 ORDER BY recorded_at DESC, id DESC LIMIT $2',
      [route, limit],
    );
    return result.rows.map((row) => row.pair);
  }

  /** A rollout's pairs by id from a cursor (the last id read). */
  async range(range: PairRange): Promise<PairPage> {
    const after = range.after === null ? 0 : Number(range.after);
    if (!Number.isInteger(after) || after < 0) throw new Error(`not a pair cursor: ${range.after}`);
    const until = Math.min(range.untilMs ?? Number.POSITIVE_INFINITY, Date.now() - SETTLE_MS);
    const result = await this.pool.query<{ id: string; pair: ShadowPair }>(
      `SELECT id, pair FROM gantry_shadow_pairs
       WHERE route = $1 AND rollout_id = $2 AND id > $3 AND recorded_at < to_timestamp($4 / 1000.0)
       ORDER BY id LIMIT $5`,
      [range.route, range.rolloutId, after, until, range.limit],
    );
    const last = result.rows.at(-1);
    return { pairs: result.rows.map((row) => row.pair), next: last ? last.id : range.after };
  }

  async close(): Promise<void> {
    await this.writes.drain();
    await this.pool.end();
  }

  /** One multi-row INSERT per batch, committed on its own. */
  private async insert(pairs: ShadowPair[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO gantry_shadow_pairs (request_id, recorded_at, route, rollout_id, pair)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::jsonb[])`,
      [pairs.map((p) => p.requestId), pairs.map((p) => p.time), pairs.map((p) => p.route), pairs.map((p) => p.rolloutId), pairs.map((p) => JSON.stringify(p))],
    );
  }

  private async sweep(): Promise<void> {
    await this.pool.query('DELETE FROM gantry_shadow_pairs WHERE recorded_at < now() - make_interval(days => $1)', [this.options.retentionDays]);
  }
}
