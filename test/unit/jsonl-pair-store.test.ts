// The embedded pair store on a real temporary directory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlPairStore, writeFully } from '../../src/gateway/jsonl-pair-store';
import { expiredPairFiles, latestFileOf, pairFileName, pairFiles } from '../../src/gateway/pair-files';
import type { PairSide, ShadowPair } from '../../src/gateway/pair-store';

const side: PairSide = { status: 200, latencyMs: 12, ttftMs: null, answer: 'Paris', finishReason: 'stop', promptTokens: 9, completionTokens: 2 };
const pair = (requestId: string, time = '2026-11-22T10:00:00.000Z', route = 'chat', rolloutId: string | null = 'r1'): ShadowPair => ({
  pairId: `pair-${requestId}`,
  requestId,
  time,
  route,
  rolloutId,
  candidateDeploymentId: rolloutId ? `${rolloutId}-candidate` : null,
  direction: 'shadow',
  prompt: 'user: capital of France?',
  stable: side,
  candidate: side,
});
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'gantry-pairs-'));

describe('pair file names', () => {
  it('orders files by day then sequence, reads the older one-file-per-day name, and ignores strangers', () => {
    const files = pairFiles(['pairs-2026-11-22-010.jsonl', 'notes.txt', 'pairs-2026-11-21-000.jsonl', 'pairs-2026-11-22-002.jsonl', 'pairs-2026-11-22.jsonl']);
    assert.deepEqual(
      files.map((f) => f.name),
      ['pairs-2026-11-21-000.jsonl', 'pairs-2026-11-22.jsonl', 'pairs-2026-11-22-002.jsonl', 'pairs-2026-11-22-010.jsonl'],
    );
    assert.equal(latestFileOf(pairFiles(['pairs-2026-11-22.jsonl']), '2026-11-22'), undefined, 'never appended to');
  });

  it('expires whole days older than the retention', () => {
    const files = pairFiles([pairFileName('2026-11-01', 0), pairFileName('2026-11-14', 3), pairFileName('2026-11-15', 0)]);
    const expired = expiredPairFiles(files, new Date('2026-11-22T08:00:00Z'), 7);
    assert.deepEqual(
      expired.map((f) => f.day),
      ['2026-11-01', '2026-11-14'],
    );
  });
});

describe('JsonlPairStore', () => {
  it('acknowledges a pair only once it is on disk, and reads pairs back newest first', async () => {
    const dir = tempDir();
    const store = new JsonlPairStore({ dir, maxFileBytes: 1_000_000, retentionDays: 30, flushIntervalMs: 10 });
    await Promise.all([store.append(pair('a')), store.append(pair('b'))]);
    const onDisk = readFileSync(join(dir, pairFileName('2026-11-22', 0)), 'utf8');
    assert.equal(onDisk.trim().split('\n').length, 2);
    assert.deepEqual(
      (await store.recent('chat', 10)).map((p) => p.requestId),
      ['b', 'a'],
    );
    assert.deepEqual(await store.recent('other', 10), []);
    // Pairs hold users' prompts: the owner's only.
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, pairFileName('2026-11-22', 0))).mode & 0o777, 0o600);
    await store.close();
  });

  it('starts a new file when one would grow past the size limit, and a new series each day', async () => {
    const dir = tempDir();
    const lineBytes = Buffer.byteLength(`${JSON.stringify(pair('r00'))}\n`);
    const store = new JsonlPairStore({ dir, maxFileBytes: lineBytes * 3, retentionDays: 30, flushIntervalMs: 10 });
    await Promise.all(Array.from({ length: 7 }, (_, i) => store.append(pair(`r0${i}`))));
    await store.append(pair('next-day', '2026-11-23T00:00:01.000Z'));
    await store.close();
    assert.deepEqual(readdirSync(dir).sort(), [
      'pairs-2026-11-22-000.jsonl',
      'pairs-2026-11-22-001.jsonl',
      'pairs-2026-11-22-002.jsonl',
      'pairs-2026-11-23-000.jsonl',
    ]);
    for (const name of readdirSync(dir)) assert.ok(readFileSync(join(dir, name)).length <= lineBytes * 3, `${name} within the limit`);
  });

  it('deletes files past the retention when it starts', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, pairFileName('2026-10-01', 0)), `${JSON.stringify(pair('old', '2026-10-01T00:00:00.000Z'))}\n`);
    writeFileSync(join(dir, pairFileName('2026-11-20', 0)), `${JSON.stringify(pair('kept', '2026-11-20T00:00:00.000Z'))}\n`);
    const store = new JsonlPairStore({ dir, maxFileBytes: 1_000_000, retentionDays: 7, flushIntervalMs: 10, now: () => new Date('2026-11-22T12:00:00Z') });
    await store.append(pair('new'));
    await store.close();
    assert.deepEqual(readdirSync(dir).sort(), [pairFileName('2026-11-20', 0), pairFileName('2026-11-22', 0)]);
  });

  it('ends a line cut off by a crash before appending, so no later pair is lost with it', async () => {
    const dir = tempDir();
    const file = join(dir, pairFileName('2026-11-22', 0));
    writeFileSync(file, `${JSON.stringify(pair('whole'))}\n`);
    appendFileSync(file, JSON.stringify(pair('torn')).slice(0, 40));
    const store = new JsonlPairStore({ dir, maxFileBytes: 1_000_000, retentionDays: 30, flushIntervalMs: 10 });
    await store.append(pair('after'));
    assert.deepEqual(
      (await store.recent('chat', 10)).map((p) => p.requestId),
      ['after', 'whole'],
    );
    await store.close();
  });

  it('rejects the appends of a batch it cannot write', async () => {
    const dir = tempDir();
    const store = new JsonlPairStore({ dir, maxFileBytes: 1_000_000, retentionDays: 30, flushIntervalMs: 10 });
    // A directory where the day's file should be makes the open fail.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, pairFileName('2026-11-22', 0)));
    await assert.rejects(store.append(pair('x')), /EISDIR|illegal operation/);
    await store.close();
  });
});

describe("reading a rollout's pairs from a cursor", () => {
  it('pages through files in order, passes over other routes and rollouts, and resumes where it stopped', async () => {
    const dir = tempDir();
    const store = new JsonlPairStore({ dir, maxFileBytes: 900, retentionDays: 30, flushIntervalMs: 1, now: () => new Date('2026-11-22T12:00:00Z') });
    const pairs = [
      pair('a', '2026-11-22T10:00:00.000Z'),
      pair('x', '2026-11-22T10:00:01.000Z', 'other'),
      pair('b', '2026-11-22T10:00:02.000Z'),
      pair('y', '2026-11-22T10:00:03.000Z', 'chat', 'r2'),
      pair('c', '2026-11-22T10:00:04.000Z'),
      pair('d', '2026-11-23T00:00:01.000Z'),
    ];
    for (const p of pairs) await store.append(p);
    assert.ok(readdirSync(dir).length >= 3, 'the pairs span several files');
    const first = await store.range({ route: 'chat', rolloutId: 'r1', after: null, limit: 2 });
    assert.deepEqual(
      first.pairs.map((p) => p.requestId),
      ['a', 'b'],
    );
    const second = await store.range({ route: 'chat', rolloutId: 'r1', after: first.next, limit: 10 });
    assert.deepEqual(
      second.pairs.map((p) => p.requestId),
      ['c', 'd'],
    );
    const nothing = await store.range({ route: 'chat', rolloutId: 'r1', after: second.next, limit: 10 });
    assert.deepEqual(nothing, { pairs: [], next: second.next });
    await store.append(pair('e', '2026-11-23T00:00:02.000Z'));
    assert.deepEqual(
      (await store.range({ route: 'chat', rolloutId: 'r1', after: second.next, limit: 10 })).pairs.map((p) => p.requestId),
      ['e'],
    );
    await store.close();
  });

  it('stops before pairs recorded at or after the window end, and reads them next time', async () => {
    const store = new JsonlPairStore({ dir: tempDir(), maxFileBytes: 1 << 20, retentionDays: 30, flushIntervalMs: 1 });
    for (const [id, time] of [
      ['a', '2026-11-22T10:00:00.000Z'],
      ['b', '2026-11-22T10:00:05.000Z'],
      ['c', '2026-11-22T10:00:09.000Z'],
    ] as const)
      await store.append(pair(id, time));
    const window = await store.range({ route: 'chat', rolloutId: 'r1', after: null, limit: 10, untilMs: Date.parse('2026-11-22T10:00:05.000Z') });
    assert.deepEqual(
      window.pairs.map((p) => p.requestId),
      ['a'],
    );
    const rest = await store.range({ route: 'chat', rolloutId: 'r1', after: window.next, limit: 10 });
    assert.deepEqual(
      rest.pairs.map((p) => p.requestId),
      ['b', 'c'],
    );
    await store.close();
  });

  it('never reads past a line still being written, and counts bytes, not characters', async () => {
    const dir = tempDir();
    const store = new JsonlPairStore({ dir, maxFileBytes: 1 << 20, retentionDays: 30, flushIntervalMs: 1 });
    await store.append({ ...pair('ü'), prompt: 'user: Größe der Stadt München? 東京' });
    await store.close();
    const [file] = readdirSync(dir);
    appendFileSync(join(dir, file as string), '{"pairId":"half-writ');
    const reopened = new JsonlPairStore({ dir, maxFileBytes: 1 << 20, retentionDays: 30, flushIntervalMs: 1 });
    const page = await reopened.range({ route: 'chat', rolloutId: 'r1', after: null, limit: 10 });
    assert.deepEqual(
      page.pairs.map((p) => p.requestId),
      ['ü'],
    );
    await reopened.append(pair('after'));
    const next = await reopened.range({ route: 'chat', rolloutId: 'r1', after: page.next, limit: 10 });
    assert.deepEqual(
      next.pairs.map((p) => p.requestId),
      ['after'],
      'the torn line was ended and passed over',
    );
    await reopened.close();
  });

  it('refuses a cursor it did not make', async () => {
    const store = new JsonlPairStore({ dir: tempDir(), maxFileBytes: 1 << 20, retentionDays: 30, flushIntervalMs: 1 });
    await assert.rejects(store.range({ route: 'chat', rolloutId: 'r1', after: 'garbage', limit: 1 }), /not a pair cursor: garbage/);
    await store.close();
  });
});

describe('writing a batch to a pair file', () => {
  /** A file on a disk with `room` bytes left: a write takes what fits, then the next one fails as a full disk does. */
  function fillingDisk(room: number, chunk = Number.POSITIVE_INFINITY) {
    const taken: Buffer[] = [];
    let left = room;
    return {
      taken,
      async write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number; buffer: Buffer }> {
        if (left === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        const bytesWritten = Math.min(length, left, chunk);
        taken.push(buffer.subarray(offset, offset + bytesWritten));
        left -= bytesWritten;
        return { bytesWritten, buffer };
      },
    };
  }
  const asHandle = (disk: ReturnType<typeof fillingDisk>) => disk as unknown as Parameters<typeof writeFully>[0];

  it('fails when the disk takes only part of it, instead of taking the batch as written', async () => {
    const disk = fillingDisk(10);
    await assert.rejects(writeFully(asHandle(disk), 'a line of 20 bytes\n'), /ENOSPC/);
    assert.equal(Buffer.concat(disk.taken).toString(), 'a line of ');
  });

  it('writes the whole text, in order, when each write takes only a part', async () => {
    const disk = fillingDisk(1_000, 7);
    const text = '{"pair":1}\n{"pair":2}\n{"pair":3}\n';
    await writeFully(asHandle(disk), text);
    assert.equal(Buffer.concat(disk.taken).toString(), text);
  });
});
