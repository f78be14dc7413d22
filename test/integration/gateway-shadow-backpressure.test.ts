// Shadow mirroring against a candidate that stops answering: users are answered at once, a burst
// waits in a bounded queue, and what does not fit is dropped and counted — never held without end.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway-harness';
import { startMockUpstream } from '../helpers/mock-upstream';
import { metricValue as metric } from '../helpers/gateway-metrics';

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('shadow mirroring under a candidate that hangs', () => {
  it('answers every user, queues up to the limit, drops and counts the rest, leaves other routes alone, and sends the queued mirrors once the candidate answers', async () => {
    const stable = await startMockUpstream();
    const candidate = await startMockUpstream({ hang: true });
    const gateway = await startGateway({ shadowMaxInFlight: 2, shadowMaxQueued: 3 });
    try {
      await gateway.admin.setRoute('chat', { stable: { url: stable.url }, candidate: { url: candidate.url }, weight: 0, shadowRate: 1 });
      const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'capital of France?' }] });
      // Every user request is answered while the candidate holds every mirror it was sent.
      for (let i = 0; i < 10; i++) {
        const response = await request(`${gateway.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        assert.equal(response.statusCode, 200);
        assert.match(await response.body.text(), /Paris/);
      }
      await eventually('two mirrors at the candidate', async () => candidate.requests === 2);
      assert.equal(await metric(gateway.url, 'gantry_gateway_shadow_requests_total{route="chat",outcome="sent"}'), 2);
      assert.equal(await metric(gateway.url, 'gantry_gateway_shadow_requests_total{route="chat",outcome="dropped"}'), 5, '10 mirrors - 2 in flight - 3 queued');
      assert.equal(await metric(gateway.url, 'gantry_gateway_shadow_mirrors{route="chat",state="in_flight"}'), 2);
      assert.equal(await metric(gateway.url, 'gantry_gateway_shadow_mirrors{route="chat",state="queued"}'), 3);

      // Another route's rollout still shadows: the limits hold per route.
      await gateway.admin.setRoute('other', { stable: { url: stable.url }, candidate: { url: stable.url }, weight: 0, shadowRate: 1 });
      for (let i = 0; i < 3; i++) {
        const response = await request(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          body: body.replace('"chat"', '"other"'),
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(response.statusCode, 200);
        await response.body.dump();
      }
      await eventually(
        'three pairs of the other route',
        async () => (await metric(gateway.url, 'gantry_gateway_shadow_pairs_total{route="other",outcome="written"}')) === 3,
      );
      assert.equal(
        await metric(gateway.url, 'gantry_gateway_shadow_requests_total{route="other",outcome="dropped"}'),
        undefined,
        'no mirror of the other route dropped',
      );

      // The candidate recovers: the held mirrors are answered and the queued ones go out after them.
      candidate.behave({});
      candidate.release();
      await eventually(
        'five pairs written',
        async () => (await metric(gateway.url, 'gantry_gateway_shadow_pairs_total{route="chat",outcome="written"}')) === 5,
      );
      assert.equal(candidate.requests, 5);
      assert.equal(await metric(gateway.url, 'gantry_gateway_shadow_requests_total{route="chat",outcome="sent"}'), 5);
      assert.equal(await metric(gateway.url, 'gantry_gateway_shadow_mirrors{route="chat",state="queued"}'), 0);
      const pairs = await gateway.admin.recentPairs('chat', 10);
      assert.equal(pairs.length, 5);
      for (const pair of pairs) {
        assert.equal(pair.stable.status, 200);
        assert.equal(pair.candidate.status, 200);
        assert.match(pair.candidate.answer ?? '', /Paris/);
      }
    } finally {
      await gateway.close();
      await candidate.close();
      await stable.close();
    }
  });
});
