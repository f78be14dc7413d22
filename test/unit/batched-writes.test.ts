import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchedWrites } from '../../src/gateway/batched-writes';

describe('BatchedWrites', () => {
  it('writes the items added within one interval as one batch, in order, and resolves them after it', async () => {
    const batches: number[][] = [];
    const writes = new BatchedWrites<number>({
      writeBatch: async (items) => {
        batches.push(items);
      },
      intervalMs: 20,
      sweep: async () => undefined,
    });
    const first = [1, 2, 3].map((n) => writes.add(n));
    await Promise.all(first);
    await writes.add(4);
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
  });

  it("rejects every item of a failed batch with the writer's error, and writes the next batch", async () => {
    let fail = true;
    const written: string[] = [];
    const writes = new BatchedWrites<string>({
      writeBatch: async (items) => {
        if (fail) throw new Error('disk full');
        written.push(...items);
      },
      intervalMs: 5,
      sweep: async () => undefined,
    });
    const outcomes = await Promise.allSettled([writes.add('a'), writes.add('b')]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'ok')),
      ['disk full', 'disk full'],
    );
    fail = false;
    await writes.add('c');
    assert.deepEqual(written, ['c']);
  });

  it('runs the retention sweep in the same line, never during a write, and drain() writes what is pending', async () => {
    const events: string[] = [];
    const writes = new BatchedWrites<string>({
      writeBatch: async (items) => {
        events.push(`write start ${items.join(',')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        events.push('write end');
      },
      intervalMs: 1_000,
      // A slow sweep, started at construction: the write must wait for it.
      sweep: async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        events.push('sweep');
      },
    });
    const pending = writes.add('x');
    await writes.drain();
    await pending;
    assert.deepEqual(events, ['sweep', 'write start x', 'write end']);
  });
});
