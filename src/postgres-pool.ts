// A connection pool to PostgreSQL for Gantry's own tables (shadow pairs, interval records): opened
// with its schema created, or a clear one-line error naming the database with its password hidden.
import pg from 'pg';

/** The connection string with its password hidden, for messages. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/**
 * Connects and runs `schema` in one transaction, under an advisory lock named after `table`: several
 * processes may start together, and their CREATE TABLEs must not race. `what` names the user in the
 * error ("pair store").
 */
export async function openPostgres(options: { url: string; table: string; schema: string; what: string; maxConnections: number }): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections, connectionTimeoutMillis: 5_000 });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await pool.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtext('${options.table}')); ${options.schema} COMMIT;`);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`${options.what}: cannot use PostgreSQL at ${redactedUrl(options.url)}: ${(error as Error).message}`, { cause: error });
  }
  return pool;
}
