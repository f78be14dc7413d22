// A server that leaves its route (the stable a promotion replaces, the promoted one a revert
// replaces) is stopped only after the gateway's requests to it are answered: the traffic activity
// waits for them. Real gateway, real sockets, an upstream that holds its answers until told.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, type GatewayHarness } from '../helpers/gateway-harness';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { createTrafficActivities } from '../../src/activities/traffic';
import { drainUpstream } from '../../src/activities/drain';
import { MockActivityEnvironment } from '@temporalio/testing';

let held: MockUpstream;
let next: MockUpstream;
let gateway: GatewayHarness;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function ask(): Promise<number> {
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello' }] }),
  });
  await response.body.text();
  return response.statusCode;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

before(async () => {
  held = await startMockUpstream({ hang: true });
  next = await startMockUpstream();
  gateway = await startGateway();
});
after(async () => {
  held?.release();
  await gateway?.close();
  await held?.close();
  await next?.close();
});

describe('draining a server that leaves its route', () => {
  it('promotes at once, and returns only when the replaced stable has answered what it was sent', async () => {
    await gateway.admin.setRoute('chat', { stable: { url: held.url }, candidate: { url: next.url }, weight: 0, shadowRate: 0 });
    const traffic = createTrafficActivities({ gateway: gateway.admin });
    const answered = ask();
    await until(() => held.requests === 1, 'the request to reach the stable');
    assert.equal(await gateway.admin.inFlight(held.url), 1);

    let promoted = false;
    const promotion = traffic.promoteCandidate({ route: 'chat' }).finally(() => (promoted = true));
    await sleep(600);
    assert.equal(promoted, false, 'still waiting for the answer in flight');
    // Meanwhile users are already answered by the new stable.
    assert.equal(await ask(), 200);
    assert.equal(next.requests, 1);
    assert.equal(held.requests, 1, 'nothing new reaches the replaced stable');

    held.release();
    const result = await promotion;
    assert.equal(await answered, 200, 'the answer in flight reached its user');
    assert.equal(result.drained.left, 0);
    assert.ok(result.drained.waitedMs >= 500, `waited ${result.drained.waitedMs} ms`);
    assert.equal(result.previousStable.endpoint, held.url);
    assert.equal(await gateway.admin.inFlight(held.url), 0);
  });

  it('stops waiting at its limit and says how many were left', async () => {
    held.behave({ hang: true });
    await gateway.admin.setRoute('chat', { stable: { url: held.url }, weight: 0, shadowRate: 0 });
    const answered = ask();
    await until(() => held.requests === 2, 'the request to reach the upstream');
    const drained = await drainUpstream(gateway.admin, held.url, 300, 50);
    assert.equal(drained.left, 1);
    assert.ok(drained.waitedMs >= 300, `waited ${drained.waitedMs} ms`);
    held.release();
    assert.equal(await answered, 200);
  });

  it('answers a retried promotion whose first attempt changed the route with what that attempt replaced; another rollout is still refused', async () => {
    held.behave({});
    await gateway.admin.setRoute('retried', { stable: { url: held.url }, candidate: { url: next.url }, rolloutId: 'r-retried', weight: 50, shadowRate: 0 });
    const traffic = createTrafficActivities({ gateway: gateway.admin });
    type Promoted = Awaited<ReturnType<typeof traffic.promoteCandidate>>;
    const promoteIn = (rolloutId: string): Promise<Promoted> =>
      new MockActivityEnvironment({ workflowExecution: { workflowId: rolloutId, runId: 'run-1' } }).run<
        [{ route: string }],
        Promoted,
        typeof traffic.promoteCandidate
      >(traffic.promoteCandidate, { route: 'retried' });
    const first = await promoteIn('r-retried');
    // Its worker died before reporting: Temporal runs the activity again.
    const retried = await promoteIn('r-retried');
    assert.deepEqual(retried.previousStable, first.previousStable);
    assert.equal(retried.previousStable.endpoint, held.url);
    assert.equal((await gateway.admin.getRoute('retried'))?.stable.url, next.url, 'the promoted stable stays');
    await assert.rejects(promoteIn('r-other'), /route "retried" has no candidate to promote/);
  });

  it('answers in-flight counts to the admin token only, for a URL', async () => {
    const anonymous = await request(`${gateway.url}/admin/in-flight?url=${encodeURIComponent(held.url)}`);
    await anonymous.body.dump();
    assert.equal(anonymous.statusCode, 401);
    const noUrl = await request(`${gateway.url}/admin/in-flight?url=nope`, { headers: { authorization: `Bearer ${gateway.token}` } });
    assert.equal(noUrl.statusCode, 400);
    assert.match(((await noUrl.body.json()) as { error: { message: string } }).error.message, /url must be an upstream URL/);
    assert.equal(await gateway.admin.inFlight('http://127.0.0.1:9/v1'), 0, 'a server never asked has nothing in flight');
  });
});
