// The interval record in PostgreSQL when the pair store is PostgreSQL: the store against a real
// PostgreSQL server, then a real rollout on the real stack with GANTRY_PAIR_STORE_URL set for the
// gateway and the orchestrator, whose report reads its record back from the database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { execa } from 'execa';
import { PostgresIntervalRecord } from '../../src/adapters/interval-record-postgres';
import { intervalEntry, type IntervalEntry } from '../../src/analysis/interval-record';
import { REPO_ROOT } from '../../src/config/toolchain';
import { quietPort } from '../helpers/quiet-ports';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { rolloutWithTraffic } from '../helpers/real-rollout-driver';
import { startRealStack, type RealStack } from '../helpers/real-stack';
import type { ReportData } from '../../src/report/report-data';

let postgres: TestPostgres;
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres?.stop();
});

const entry = (at: number, weight: number): IntervalEntry =>
  intervalEntry({
    at,
    phase: 'Canary',
    step: 0,
    weight,
    judged: 'candidate',
    window: null,
    verdict: { verdict: 'Pass', summary: 'all checks pass', checks: [] },
    metrics: [],
    breach: null,
  });

async function count(sql: string, values: unknown[]): Promise<number> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql, values)).rows[0]?.n);
  } finally {
    await client.end();
  }
}

describe('the interval record in PostgreSQL', () => {
  it('keeps every interval once, oldest first, from orchestrators that start together', async () => {
    const [first, second] = await Promise.all([PostgresIntervalRecord.open(postgres.url), PostgresIntervalRecord.open(postgres.url)]);
    await first.append('r-1', entry(3_000, 50));
    await second.append('r-1', entry(1_000, 5));
    await second.append('r-2', entry(2_000, 1));
    // an append retried after its acknowledgement was lost
    await first.append('r-1', entry(1_000, 5));
    assert.deepEqual(
      (await second.read('r-1'))?.map((e) => [e.at, e.weight]),
      [
        [1_000, 5],
        [3_000, 50],
      ],
    );
    assert.deepEqual(await first.read('r-1'), [entry(1_000, 5), entry(3_000, 50)], 'each entry comes back whole');
    assert.equal(await first.read('no-such-rollout'), null);
    assert.equal(first.where, postgres.url.replace(':unused@', ':***@'));
    await Promise.all([first.close(), second.close()]);
  });

  it('refuses an unusable database with one line naming it, password hidden; an orchestrator given it exits 1', async () => {
    const url = `postgres://gantry:secret@127.0.0.1:${await quietPort()}/postgres`;
    await assert.rejects(PostgresIntervalRecord.open(url), (error: Error) => {
      assert.match(error.message, /^interval record: cannot use PostgreSQL at postgres:\/\/gantry:\*\*\*@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED/);
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
    const orchestrator = await execa(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/workers/orchestrator.ts')], {
      env: { ...process.env, GANTRY_ADMIN_TOKEN: 'a-token-of-16-chars', GANTRY_PAIR_STORE_URL: url, TEMPORAL_ADDRESS: `127.0.0.1:${await quietPort()}` },
      reject: false,
      timeout: 60_000,
    });
    assert.equal(orchestrator.exitCode, 1, orchestrator.stderr);
    assert.match(orchestrator.stderr, /^orchestrator: interval record: cannot use PostgreSQL at postgres:\/\/gantry:\*\*\*@127\.0\.0\.1:\d+\/postgres: /m);
    assert.doesNotMatch(orchestrator.stderr, /secret/);
  });
});

describe('a rollout on the real stack with the PostgreSQL pair store', () => {
  let stack: RealStack;
  before(async () => {
    // The shell that runs `gantry dev up` names the database; the gateway and the orchestrator inherit it.
    process.env.GANTRY_PAIR_STORE_URL = postgres.url;
    stack = await startRealStack();
  });
  after(async () => {
    delete process.env.GANTRY_PAIR_STORE_URL;
    await stack?.stop();
  });

  it('records its intervals in the database beside its pairs, and its report reads them from there', async () => {
    const spec = compressedSpec('pg-record', { name: 'it-pg-record', qa: undefined });
    const { result } = await rolloutWithTraffic(stack, stack.client, 'it-pg-record', writeSpec(spec), 'chat.jsonl', 12_000, 'pg-record');
    assert.equal(result.outcome, 'Promoted', result.reason);

    const rows = await count('SELECT count(*) AS n FROM gantry_interval_records WHERE rollout_id = $1', ['it-pg-record']);
    const pairs = await count('SELECT count(*) AS n FROM gantry_shadow_pairs WHERE rollout_id = $1', ['it-pg-record']);
    assert.ok(rows >= 5, `intervals recorded in PostgreSQL: ${rows}`);
    assert.ok(pairs > 0, `shadow pairs in PostgreSQL: ${pairs}`);
    assert.ok(!existsSync(join(stack.config.stateDir, 'orchestrator', 'records')), 'no record in files');

    const report = await stack.cli(['rollout', 'report', 'it-pg-record', '--json']);
    assert.equal(report.exitCode, 0, String(report.stderr));
    const data = JSON.parse(String(report.stdout)) as ReportData;
    assert.equal(data.intervals, rows);
    assert.ok(
      data.charts.some((c) => c.title === 'Candidate weight' && c.lines[0]?.values.includes(100)),
      data.charts.map((c) => c.title).join(', '),
    );
    assert.ok(!data.notes.some((n) => /interval record/.test(n)), data.notes.join('; '));

    // The database away: the report is still made, and says why it has no charts over time.
    const away = `postgres://gantry:secret@127.0.0.1:${await quietPort()}/postgres`;
    const without = await stack.cli(['rollout', 'report', 'it-pg-record', '--json'], { GANTRY_PAIR_STORE_URL: away });
    assert.equal(without.exitCode, 0, String(without.stderr));
    const partial = JSON.parse(String(without.stdout)) as ReportData;
    assert.equal(partial.intervals, 0);
    assert.ok(
      partial.notes.some((n) =>
        /^interval record not read, so no charts over time: interval record: cannot use PostgreSQL at postgres:\/\/gantry:\*\*\*@/.test(n),
      ),
      partial.notes.join('; '),
    );
    assert.doesNotMatch(String(without.stdout), /secret/);
  });
});
