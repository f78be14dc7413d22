// Property-based fuzzing of the data plane over real sockets: whatever a client sends — any JSON,
// no JSON, odd headers, the wrong types in the right fields — the gateway answers with a 2xx or a
// 4xx of its own, never a 5xx of its own making (the upstreams here always answer 200), and stays
// up. fast-check shrinks a failure to the smallest request that shows it and prints its seed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { request } from 'undici';
import { startGateway, type GatewayHarness } from '../helpers/gateway-harness';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';

let gateway: GatewayHarness;
let stable: MockUpstream;
let candidate: MockUpstream;

before(async () => {
  [stable, candidate] = await Promise.all([startMockUpstream(), startMockUpstream()]);
  gateway = await startGateway();
  // Every feature on the path: split, stickiness, segments (header, metadata, model), 100% shadow.
  await gateway.admin.setRoute('chat', {
    stable: { url: stable.url },
    candidate: { url: candidate.url },
    weight: 50,
    shadowRate: 1,
    segments: [
      { kind: 'header', name: 'x-intent', matches: '^greet' },
      { kind: 'metadata', field: 'segment', equals: 'casual' },
      { kind: 'model', matches: 'chat' },
    ],
  });
});
after(async () => {
  await gateway?.close();
  await Promise.all([stable?.close(), candidate?.close()]);
});

const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const anyJson = fc.jsonValue({ maxDepth: 4 });
const model = fc.oneof({ weight: 6, arbitrary: fc.constant('chat') }, fc.constant('unknown-model'), fc.string({ maxLength: 8 }), anyJson);
const messages = fc.oneof(
  fc.array(
    fc.record(
      { role: fc.oneof(fc.constantFrom('user', 'system', 'assistant'), anyJson), content: fc.oneof(fc.string({ maxLength: 60 }), anyJson) },
      { requiredKeys: [] },
    ),
    { maxLength: 4 },
  ),
  anyJson,
);
const completionBody = fc.record(
  {
    model,
    messages,
    prompt: fc.oneof(fc.string({ maxLength: 60 }), anyJson),
    stream: fc.oneof(fc.boolean(), anyJson),
    metadata: fc.oneof(fc.record({ segment: fc.oneof(fc.constant('casual'), anyJson) }), anyJson),
    max_tokens: anyJson,
    unknown_field: anyJson,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 6, arbitrary: completionBody.map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
  { weight: 1, arbitrary: completionBody.map((value) => JSON.stringify(value).slice(0, -3)) },
);
const headers = fc.record(
  {
    'content-type': fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=latin1'),
    ),
    'x-session-id': headerValue,
    'x-request-id': headerValue,
    'x-intent': fc.oneof(fc.constant('greeting'), headerValue),
    authorization: headerValue,
    accept: fc.constantFrom('*/*', 'text/event-stream', 'application/json'),
  },
  { requiredKeys: ['content-type'] },
);
const path = fc.constantFrom('/v1/chat/completions', '/v1/completions');

describe('gateway fuzzing', () => {
  it('never answers a request with a 5xx of its own making, and keeps serving', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(path, body, headers, async (target, payload, sent) => {
        const response = await request(`${gateway.url}${target}`, { method: 'POST', body: payload, headers: sent });
        const text = await response.body.text();
        seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1);
        assert.ok(response.statusCode < 500, `status ${response.statusCode}: ${text.slice(0, 200)}`);
        if (response.statusCode >= 400) {
          const error = (JSON.parse(text) as { error?: { message?: unknown } }).error;
          assert.equal(typeof error?.message, 'string', `an OpenAI-style error body: ${text.slice(0, 200)}`);
        }
      }),
      { numRuns: 1500 },
    );
    const health = await request(`${gateway.url}/healthz`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
    // The generators reach both sides of the gateway: answered requests and refused ones.
    assert.ok((seen.get(200) ?? 0) > 50, `answered: ${JSON.stringify([...seen])}`);
    assert.ok((seen.get(400) ?? 0) > 50, `refused: ${JSON.stringify([...seen])}`);
  });

  it('survives random bytes in the admin API without a 5xx either', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyJson.map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 100 }),
        ),
        async (payload) => {
          const response = await request(`${gateway.url}/admin/routes/fuzzed`, {
            method: 'PUT',
            body: payload,
            headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
          });
          const text = await response.body.text();
          assert.ok(response.statusCode < 500, `status ${response.statusCode}: ${text.slice(0, 200)}`);
        },
      ),
      { numRuns: 200 },
    );
  });
});
