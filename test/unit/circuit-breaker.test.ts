import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closedBreaker, recordOutcome } from '../../src/gateway/circuit-breaker';
import { breakerPolicySchema } from '../../src/config/traffic-options';

const DEFAULT_BREAKER = breakerPolicySchema.parse({});

describe('circuit breaker', () => {
  const at = new Date('2026-11-22T10:00:00Z');
  it('stays closed below the minimum number of requests, however bad', () => {
    const state = closedBreaker();
    for (let i = 0; i < 4; i++) assert.equal(recordOutcome(state, DEFAULT_BREAKER, true, at), false);
    assert.equal(state.open, false);
  });
  it('opens on the request that crosses the limit, and says why', () => {
    const state = closedBreaker();
    const opened = [true, true, true, true, true].map((e) => recordOutcome(state, DEFAULT_BREAKER, e, at));
    assert.deepEqual(opened, [false, false, false, false, true]);
    assert.equal(state.reason, "circuit breaker open: 5 of the candidate's last 5 requests failed (limit 50%)");
    assert.equal(state.openedAt, at.toISOString());
  });
  it('judges only the last N requests', () => {
    const state = closedBreaker();
    const policy = { window: 4, maxErrorRate: 0.75, minRequests: 4 };
    for (const e of [true, true, false, false, false, true, true]) recordOutcome(state, policy, e, at);
    assert.equal(state.open, false, 'the early errors fell out of the window');
    recordOutcome(state, policy, true, at);
    assert.equal(state.open, true);
  });
});
