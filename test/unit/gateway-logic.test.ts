import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseVariant, hashKey } from '../../src/gateway/variant-choice';
import { summariseAnswer, promptText } from '../../src/gateway/answer-text';
import { routeConfigSchema } from '../../src/gateway/route-config';
import { isAuthorized } from '../../src/gateway/admin-api';
import { WindowStatsStore } from '../../src/gateway/window-stats';

const candidate = { url: 'http://127.0.0.1:1/v1' };

describe('chooseVariant', () => {
  it('keeps a session on one variant (sticky by hash)', () => {
    const route = { candidate, weight: 30 };
    for (const key of ['alice', 'bob', 'session-42']) {
      const first = chooseVariant(route, key, Math.random);
      for (let i = 0; i < 20; i++) assert.equal(chooseVariant(route, key, Math.random), first);
    }
  });

  it('splits keys close to the weight', () => {
    const route = { candidate, weight: 25 };
    let toCandidate = 0;
    for (let i = 0; i < 20_000; i++) if (chooseVariant(route, `user-${i}`, Math.random) === 'candidate') toCandidate += 1;
    const share = toCandidate / 20_000;
    assert.ok(share > 0.23 && share < 0.27, `share ${share}`);
  });

  it('sends everything to stable at weight 0 or without a candidate, everything to candidate at 100', () => {
    assert.equal(
      chooseVariant({ candidate, weight: 0 }, 'k', () => 0),
      'stable',
    );
    assert.equal(
      chooseVariant({ candidate: undefined, weight: 50 }, 'k', () => 0),
      'stable',
    );
    assert.equal(
      chooseVariant({ candidate, weight: 100 }, 'k', () => 0.99),
      'candidate',
    );
  });

  it('hashes the same on every replica', () => {
    assert.equal(hashKey('alice'), hashKey('alice'));
    assert.notEqual(hashKey('alice'), hashKey('alicf'));
  });
});

describe('answer extraction', () => {
  it('reads a JSON chat completion', () => {
    const body = JSON.stringify({ choices: [{ message: { content: 'Paris' }, finish_reason: 'stop' }], usage: { prompt_tokens: 7, completion_tokens: 2 } });
    assert.deepEqual(summariseAnswer(body, false), { text: 'Paris', finishReason: 'stop', promptTokens: 7, completionTokens: 2 });
  });

  it('joins an SSE stream of deltas and counts its content events as tokens', () => {
    const body = [
      'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}',
      'data: {"choices":[{"delta":{"content":"Pa"}}]}',
      'data: {"choices":[{"delta":{"content":"ris"},"finish_reason":"stop"}]}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    assert.deepEqual(summariseAnswer(body, true), { text: 'Paris', finishReason: 'stop', promptTokens: null, completionTokens: 2 });
  });

  it("prefers a stream's usage object to counting", () => {
    const body = [
      'data: {"choices":[{"delta":{"content":"Paris"},"finish_reason":"stop"}]}',
      'data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    assert.deepEqual(summariseAnswer(body, true), { text: 'Paris', finishReason: 'stop', promptTokens: 9, completionTokens: 3 });
  });

  it('survives a body that is not JSON', () => {
    assert.equal(summariseAnswer('<html>', false).text, null);
  });

  it('records chat prompts with their roles', () => {
    assert.equal(
      promptText({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      }),
      'system: Be brief.\nuser: Hi',
    );
    assert.equal(promptText({ prompt: 'Once upon' }), 'Once upon');
  });

  it('records messages that are not objects (found by the fuzz test) instead of throwing', () => {
    assert.equal(promptText({ messages: [null, 7, { role: 'user', content: 'Hi' }] }), ': null\n: 7\nuser: Hi');
  });
});

describe('route config', () => {
  it('refuses weight without a candidate', () => {
    assert.equal(routeConfigSchema.safeParse({ stable: candidate, weight: 10 }).success, false);
    assert.equal(routeConfigSchema.safeParse({ stable: candidate, candidate, weight: 10 }).success, true);
  });
});

describe('admin token', () => {
  it('accepts only the exact bearer token', () => {
    const token = 'a'.repeat(32);
    assert.equal(isAuthorized(`Bearer ${token}`, token), true);
    assert.equal(isAuthorized(`Bearer ${token}x`, token), false);
    assert.equal(isAuthorized(token, token), false);
    assert.equal(isAuthorized(undefined, token), false);
  });
});

describe('window statistics', () => {
  it('sums whole-second buckets inside [from, to) and forgets past the retention', () => {
    let now = 10_000;
    const store = new WindowStatsStore(60_000, () => now);
    store.recordRequest('chat', 'stable', 100, false);
    now = 11_500;
    store.recordRequest('chat', 'candidate', 200, true);
    store.recordPair('chat');
    const first = store.window('chat', 10_000, 11_000);
    assert.deepEqual([first.stable.requests, first.candidate.requests], [1, 0]);
    const both = store.window('chat', 10_000, 12_000);
    assert.deepEqual([both.stable.requests, both.candidate.requests, both.candidate.errors, both.pairs], [1, 1, 1, 1]);
    now = 200_000;
    store.recordRequest('chat', 'stable', 100, false);
    assert.equal(store.window('chat', 0, 12_000).stable.requests, 0);
  });
});
