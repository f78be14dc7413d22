// The orchestrator's limiter on evaluation traffic to a stable, and the memo that reads each
// (prompt, answer) once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { limiter } from '../../src/activities/limiter';
import { Memo } from '../../src/activities/memo';
import { mostDifferent } from '../../src/cli/rollout/report-command';
import type { ShadowPair } from '../../src/gateway/pair-store';

describe('limiter', () => {
  it('runs at most `limit` at once, in the order they came, and frees a slot when one fails', async () => {
    const run = limiter(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const work = (i: number) =>
      run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        order.push(i);
        if (i === 1) throw new Error('boom');
        return i;
      });
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map(work));
    assert.equal(most, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
  });
});

describe('memo', () => {
  it('computes a key once, keeps no failure, and drops the oldest past its size', async () => {
    const memo = new Memo(2);
    let calls = 0;
    const get = (key: string) => memo.get(key, async () => ((calls += 1), key.length));
    assert.equal(await get('aa'), 2);
    assert.equal(await get('aa'), 2);
    assert.equal(calls, 1);
    await assert.rejects(memo.get('bad', async () => Promise.reject(new Error('down'))));
    assert.equal(await memo.get('bad', async () => 7), 7, 'a failure was not kept');
    await get('ccc');
    await get('aa');
    assert.equal(calls, 3, 'the oldest key was dropped past the size');
  });
});

describe('the report shows the most different pairs', () => {
  const pair = (id: string, stable: string, candidate: string, direction: ShadowPair['direction'] = 'shadow'): ShadowPair => {
    const side = (answer: string) => ({ status: 200, latencyMs: 1, ttftMs: null, answer, finishReason: 'stop', promptTokens: 1, completionTokens: 1 });
    return {
      pairId: id,
      requestId: id,
      time: '',
      route: 'chat',
      rolloutId: 'r',
      candidateDeploymentId: null,
      direction,
      prompt: 'q',
      stable: side(stable),
      candidate: side(candidate),
    };
  };
  it('picks the least alike answers, never an A/A pair, in the order they were recorded', () => {
    const pairs = [
      pair('same', 'Paris is the capital.', 'Paris is the capital.'),
      pair('far', 'Paris is the capital.', 'Bananas 1000 meters'),
      pair('aa', 'Paris.', 'zzzz qqqq', 'aa'),
      pair('near', 'Paris is the capital.', 'Paris is the capital city.'),
      pair('farther', 'Rome.', '\nA:\nA:'),
    ];
    assert.deepEqual(
      mostDifferent(pairs, 2).map((p) => p.pairId),
      ['far', 'farther'],
    );
  });
});
