// The PostgreSQL pair store against a real PostgreSQL server started for this file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { request } from 'undici';
import { PostgresPairStore, redactedUrl } from '../../src/gateway/postgres-pair-store';
import type { PairSide, ShadowPair } from '../../src/gateway/pair-store';
import { quietPort } from '../helpers/quiet-ports';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { startGateway } from '../helpers/gateway-harness';
import { spawnGateway } from '../helpers/gateway-process';

let postgres: TestPostgres;
let upstream: MockUpstream;
before(async () => {
  postgres = await startPostgres();
  upstream = await startMockUpstream();
});
after(async () => {
  await upstream?.close();
  await postgres?.stop();
});

const side: PairSide = { status: 200, latencyMs: 12, ttftMs: 3, answer: 'Paris', finishReason: 'stop', promptTokens: 9, completionTokens: 2 };
const pair = (requestId: string, route: string, time = new Date().toISOString()): ShadowPair => ({
  pairId: `pair-${requestId}`,
  requestId,
  time,
  route,
  rolloutId: 'r1',
  candidateDeploymentId: 'r1-candidate',
  direction: 'shadow',
  prompt: 'user: capital of France?',
  stable: side,
  candidate: { ...side, answer: 'Lyon' },
});

describe('PostgreSQL pair store', () => {
  it('lets two gateway replicas write to one table and each read the other’s pairs', async () => {
    const [first, second] = await Promise.all([
      PostgresPairStore.open({ url: postgres.url, retentionDays: 30 }),
      PostgresPairStore.open({ url: postgres.url, retentionDays: 30 }),
    ]);
    await first.append(pair('one', 'replicas', '2026-11-22T10:00:00.000Z'));
    await Promise.all([
      second.append(pair('two', 'replicas', '2026-11-22T10:00:01.000Z')),
      second.append(pair('three', 'replicas', '2026-11-22T10:00:02.000Z')),
    ]);
    const seenByFirst = await first.recent('replicas', 10);
    assert.deepEqual(
      seenByFirst.map((p) => p.requestId),
      ['three', 'two', 'one'],
    );
    assert.deepEqual(seenByFirst[0], pair('three', 'replicas', '2026-11-22T10:00:02.000Z'), 'the pair comes back whole');
    assert.deepEqual(
      (await second.recent('replicas', 2)).map((p) => p.requestId),
      ['three', 'two'],
    );
    await Promise.all([first.close(), second.close()]);
  });

  it("reads a rollout's pairs from a cursor, across replicas, in insertion order", async () => {
    const [first, second] = await Promise.all([
      PostgresPairStore.open({ url: postgres.url, retentionDays: 30 }),
      PostgresPairStore.open({ url: postgres.url, retentionDays: 30 }),
    ]);
    const old = new Date(Date.now() - 60_000).toISOString();
    await first.append(pair('p1', 'ranged', old));
    await second.append({ ...pair('other-rollout', 'ranged', old), rolloutId: 'r2' });
    await second.append(pair('p2', 'ranged', old));
    await first.append(pair('p3', 'ranged', old));
    const page = await first.range({ route: 'ranged', rolloutId: 'r1', after: null, limit: 2 });
    assert.deepEqual(
      page.pairs.map((p) => p.requestId),
      ['p1', 'p2'],
    );
    const rest = await second.range({ route: 'ranged', rolloutId: 'r1', after: page.next, limit: 10 });
    assert.deepEqual(
      rest.pairs.map((p) => p.requestId),
      ['p3'],
    );
    assert.deepEqual(await second.range({ route: 'ranged', rolloutId: 'r1', after: rest.next, limit: 10 }), { pairs: [], next: rest.next });
    // A pair this fresh may still have a lower-id neighbour committing on another replica: it waits.
    await first.append(pair('p4', 'ranged'));
    assert.deepEqual((await first.range({ route: 'ranged', rolloutId: 'r1', after: rest.next, limit: 10 })).pairs, []);
    await Promise.all([first.close(), second.close()]);
  });

  it('deletes pairs older than the retention', async () => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const writer = await PostgresPairStore.open({ url: postgres.url, retentionDays: 30 });
    await writer.append(pair('old', 'retention', new Date(Date.now() - 40 * 86_400_000).toISOString()));
    await writer.append(pair('fresh', 'retention'));
    await writer.close();
    const sweeper = await PostgresPairStore.open({ url: postgres.url, retentionDays: 30 });
    await sweeper.close(); // the sweep at open has run once close returns
    const rows = await client.query<{ request_id: string }>("SELECT request_id FROM gantry_shadow_pairs WHERE route = 'retention'");
    assert.deepEqual(
      rows.rows.map((r) => r.request_id),
      ['fresh'],
    );
    await client.end();
  });

  it('records the gateway’s shadow pairs', async () => {
    const store = await PostgresPairStore.open({ url: postgres.url, retentionDays: 30 });
    const gateway = await startGateway({ pairStore: store });
    try {
      await gateway.admin.setRoute('chat', { stable: { url: upstream.url }, candidate: { url: upstream.url }, shadowRate: 1 });
      const response = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
        headers: { 'content-type': 'application/json', 'x-request-id': 'pg-req-1' },
      });
      await response.body.dump();
      let pairs = await gateway.admin.recentPairs('chat', 1);
      for (let i = 0; i < 40 && pairs.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        pairs = await gateway.admin.recentPairs('chat', 1);
      }
      assert.equal(pairs[0]?.requestId, 'pg-req-1');
      assert.equal(pairs[0]?.candidate.answer, 'Paris is the capital of France.');
      assert.equal(pairs[0]?.stable.promptTokens, 14);
    } finally {
      await gateway.close();
    }
  });

  it('refuses to start against an unreachable database with one line naming it, password hidden', async () => {
    const url = `postgres://gantry:secret@127.0.0.1:${await quietPort()}/postgres`;
    await assert.rejects(PostgresPairStore.open({ url, retentionDays: 30 }), (error: Error) => {
      assert.match(error.message, /^pair store: cannot use PostgreSQL at postgres:\/\/gantry:\*\*\*@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED/);
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
    assert.equal(redactedUrl('postgres://u:p@h/db'), 'postgres://u:***@h/db');
    const gateway = spawnGateway({ GANTRY_PAIR_STORE_URL: url }, await quietPort());
    assert.equal(await gateway.exited, 1);
    assert.match(gateway.output(), /pair store: cannot use PostgreSQL at postgres:\/\/gantry:\*\*\*@/);
  });
});
