// The gateway over real sockets, in front of a real llama-server serving Gemma 3 270M, driven by
// the official openai client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { request } from 'undici';
import { ServerSupervisor } from '../../src/hosts/server-supervisor';
import { launchCommandFor } from '../../src/adapters/model-server-engine';
import { engineBinaries } from '../../src/hosts/engine-binaries';
import { serverOptionsSchema } from '../../src/config/spec';
import { quietPort } from '../helpers/quiet-ports';
import { RouteTable } from '../../src/gateway/route-table';
import { startGateway, type GatewayHarness } from '../helpers/gateway-harness';
import { chatTemplate, gemmaQ4 } from '../helpers/real-models';
import { replay } from '../../src/cli/traffic/replay';
import { prompts } from '../helpers/real-rollout-driver';

let supervisor: ServerSupervisor;
let upstream: string;
let gateway: GatewayHarness;
let client: OpenAI;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  supervisor = new ServerSupervisor(mkdtempSync(join(tmpdir(), 'gantry-host-')), launchCommandFor(engineBinaries, '127.0.0.1'));
  const options = serverOptionsSchema.parse({ contextSize: 1024, threads: 1, parallel: 2, chatTemplateFile: chatTemplate });
  const server = await supervisor.start('gw-upstream', { engine: 'llama.cpp', modelPath: gemmaQ4(), servedName: 'chat', options }, 60_000, () => undefined);
  upstream = server.endpoint;
  gateway = await startGateway();
  await gateway.admin.setRoute('chat', { stable: { url: upstream, label: 'stable' } });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
});

after(async () => {
  await gateway?.close();
  await supervisor?.stopAll();
});

const question = {
  model: 'chat',
  messages: [{ role: 'user' as const, content: 'What is the capital of France?' }],
  max_tokens: 10,
  temperature: 0,
  stop: ['\n'],
};

describe('gateway data plane', () => {
  it('answers the openai client exactly as the upstream does, streaming and not', async () => {
    const direct = await new OpenAI({ baseURL: upstream, apiKey: 'x', maxRetries: 0 }).chat.completions.create(question);
    const through = await client.chat.completions.create(question);
    assert.equal(through.choices[0]?.message.content, direct.choices[0]?.message.content);
    assert.match(through.choices[0]?.message.content ?? '', /Paris/);

    const stream = await client.chat.completions.create({ ...question, stream: true });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(streamed, direct.choices[0]?.message.content);
  });

  it('lists routes as models', async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['chat'],
    );
  });

  it('splits by weight and keeps a session on one variant', async () => {
    await gateway.admin.setRoute('chat', { stable: { url: upstream, label: 'stable' }, candidate: { url: upstream, label: 'candidate' }, weight: 50 });
    const variantOf = async (session: string): Promise<string | null> => {
      const { response } = await client.chat.completions.create({ ...question, max_tokens: 2 }, { headers: { 'x-session-id': session } }).withResponse();
      return response.headers.get('x-gantry-variant');
    };
    const seen = new Set<string | null>();
    for (const session of ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']) {
      const first = await variantOf(session);
      assert.equal(await variantOf(session), first, `session ${session} moved`);
      seen.add(first);
    }
    assert.deepEqual([...seen].sort(), ['candidate', 'stable']);
  });

  it('mirrors to the candidate and records both answers to the same prompt', async () => {
    await gateway.admin.setRoute('chat', { stable: { url: upstream }, candidate: { url: upstream }, weight: 0, shadowRate: 1 });
    const everything = () => gateway.admin.windowStats('chat', 0, Date.now() + 60_000);
    const before = await everything();
    await client.chat.completions.create(question, { headers: { 'x-request-id': 'mirrored-plain' } });
    const stream = await client.chat.completions.create({ ...question, stream: true }, { headers: { 'x-request-id': 'mirrored-streamed' } });
    for await (const _ of stream) {
      // drain
    }
    let pairs = await gateway.admin.recentPairs('chat', 10);
    for (let i = 0; i < 40 && pairs.length < 2; i++) {
      await sleep(250);
      pairs = await gateway.admin.recentPairs('chat', 10);
    }
    assert.equal(pairs.length, 2);
    // By request id: the two mirrors run side by side, so either pair may be written first.
    const streamedPair = pairs.find((pair) => pair.requestId === 'mirrored-streamed');
    const plainPair = pairs.find((pair) => pair.requestId === 'mirrored-plain');
    assert.ok(streamedPair && plainPair);
    for (const side of [streamedPair.stable, streamedPair.candidate]) {
      assert.ok(side.ttftMs !== null && side.ttftMs > 0 && side.ttftMs <= side.latencyMs, `streamed ttft ${side.ttftMs} within latency ${side.latencyMs}`);
      assert.ok((side.completionTokens ?? 0) >= 1, 'streamed tokens counted');
    }
    for (const side of [plainPair.stable, plainPair.candidate]) {
      assert.equal(side.ttftMs, null, 'no first token apart from the whole answer');
      assert.ok((side.promptTokens ?? 0) > 5 && (side.completionTokens ?? 0) >= 1, 'usage recorded');
    }
    for (const pair of pairs) {
      assert.match(pair.prompt, /user: What is the capital of France\?/);
      assert.equal(pair.stable.status, 200);
      assert.equal(pair.candidate.status, 200);
      assert.equal(pair.candidate.answer, pair.stable.answer, 'same model, temperature 0: same answer');
      assert.match(pair.stable.answer ?? '', /Paris/);
    }
    const after = await everything();
    assert.equal(after.stable.requests - before.stable.requests, 2);
    assert.equal(after.shadow.requests - before.shadow.requests, 2);
    assert.equal(after.pairs - before.pairs, 2);
  });

  it('settles a streamed answer whose client went away, so its mirror still records the pair', async () => {
    await gateway.admin.setRoute('chat', { stable: { url: upstream }, candidate: { url: upstream }, weight: 0, shadowRate: 1 });
    const before = await gateway.admin.windowStats('chat', 0, Date.now() + 60_000);
    const controller = new AbortController();
    const response = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...question, max_tokens: 120, stop: [], stream: true }),
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-left' },
      signal: controller.signal,
    });
    for await (const _ of response.body) break; // the first chunk, then the client leaves
    controller.abort();
    let pair = (await gateway.admin.recentPairs('chat', 1))[0];
    for (let i = 0; i < 60 && pair?.requestId !== 'client-left'; i++) {
      await sleep(250);
      pair = (await gateway.admin.recentPairs('chat', 1))[0];
    }
    assert.equal(pair?.requestId, 'client-left');
    assert.equal(pair?.stable.status, 499, 'the stable side records that the client closed');
    assert.equal(pair?.candidate.status, 200);
    const after = await gateway.admin.windowStats('chat', 0, Date.now() + 60_000);
    assert.equal(after.stable.errors, before.stable.errors, 'a client leaving is not a model error');
  });

  it('exposes per-variant metrics in Prometheus format', async () => {
    const response = await request(`${gateway.url}/metrics`);
    const text = await response.body.text();
    assert.match(text, /gantry_gateway_requests_total\{route="chat",variant="stable",error_class="none"\} \d+/);
    assert.match(text, /gantry_gateway_request_duration_seconds_bucket\{le="0\.5",route="chat",variant="stable"\}/);
    assert.match(
      text,
      /gantry_gateway_shadow_requests_total\{route="chat",outcome="sent"\} 3/,
      'two mirrors from the pairs test, one from the client that left',
    );
    assert.match(text, /gantry_gateway_time_to_first_token_seconds_count\{route="chat",variant="stable"\} [1-9]/);
    assert.match(text, /gantry_gateway_tokens_total\{route="chat",variant="stable",direction="input"\} [1-9]/);
    assert.match(text, /gantry_gateway_tokens_total\{route="chat",variant="stable",direction="output"\} [1-9]/);
  });

  it('measures time to first token of replayed traffic: the streamed share, as the client and the gateway both see it', async () => {
    // A route of its own, so the other tests' answers do not count in its statistics.
    await gateway.admin.setRoute('replayed', { stable: { url: upstream }, candidate: { url: upstream }, weight: 50 });
    const from = Date.now();
    const report = await replay(
      prompts('quickstart-mix.jsonl'),
      { route: 'replayed', rate: 4, durationMs: 4_000, maxInFlight: 32, maxTokens: 8, streamShare: 0.5, baseUrl: gateway.url },
      () => undefined,
    );
    assert.equal(report.errors, 0, JSON.stringify(report));
    assert.equal(
      (report.byVariant.stable ?? 0) + (report.byVariant.candidate ?? 0),
      report.sent,
      `every answer, streamed or not, names its variant: ${JSON.stringify(report.byVariant)}`,
    );
    assert.ok(report.streamed > 0 && report.streamed < report.sent, `streamed ${report.streamed} of ${report.sent}`);
    assert.ok(report.ttftP95Ms !== null && report.p95Ms !== null && report.ttftP95Ms <= report.p95Ms, JSON.stringify(report));
    const stats = await gateway.admin.windowStats('replayed', from - 1_000, Date.now() + 60_000);
    assert.equal(stats.stable.requests + stats.candidate.requests, report.sent);
    assert.equal(
      (stats.stable.ttft?.total ?? 0) + (stats.candidate.ttft?.total ?? 0),
      report.streamed,
      'the gateway timed the first token of every streamed answer, and only those',
    );
  });

  it('persists routes so a restarted gateway comes back with the same weights', async () => {
    await gateway.admin.setRoute('chat', { stable: { url: upstream }, candidate: { url: upstream }, weight: 25, shadowRate: 0.5 });
    const reloaded = new RouteTable(join(gateway.dataDir, 'routes.json'));
    assert.equal(reloaded.get('chat')?.weight, 25);
    assert.equal(reloaded.get('chat')?.shadowRate, 0.5);
  });
});

describe('gateway segments and privacy', () => {
  it('canaries only the requests in the segment', async () => {
    await gateway.admin.setRoute('segmented', {
      stable: { url: upstream },
      candidate: { url: upstream },
      weight: 100,
      segments: [{ kind: 'header', name: 'x-intent', equals: 'greeting' }],
    });
    const ask = { ...question, model: 'segmented', max_tokens: 2 };
    const greeting = await client.chat.completions.create(ask, { headers: { 'x-intent': 'greeting' } }).withResponse();
    assert.equal(greeting.response.headers.get('x-gantry-variant'), 'candidate');
    const billing = await client.chat.completions.create(ask, { headers: { 'x-intent': 'billing' } }).withResponse();
    assert.equal(billing.response.headers.get('x-gantry-variant'), 'stable');
  });

  it('records a redacted prompt in shadow pairs when the route asks for it', async () => {
    await gateway.admin.setRoute('private', { stable: { url: upstream }, candidate: { url: upstream }, shadowRate: 1, pairPrompt: 'redacted' });
    await client.chat.completions.create({
      ...question,
      model: 'private',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'My email is ann@example.com, what is 2+2?' }],
    });
    let pairs = await gateway.admin.recentPairs('private', 1);
    for (let i = 0; i < 40 && pairs.length === 0; i++) {
      await sleep(250);
      pairs = await gateway.admin.recentPairs('private', 1);
    }
    assert.equal(pairs[0]?.prompt, 'user: My email is [email], what is 2+2?');
  });
});

describe('gateway protection', () => {
  it('answers a failed canary request from stable, and opens the breaker after repeated failures', async () => {
    const dead = { url: `http://127.0.0.1:${await quietPort()}/v1`, label: 'dead candidate' };
    await gateway.admin.setRoute('guarded', { stable: { url: upstream }, candidate: dead, weight: 100 });
    const guarded = { ...question, model: 'guarded', max_tokens: 2 };
    for (let i = 0; i < 5; i++) {
      const { data, response } = await client.chat.completions.create(guarded).withResponse();
      assert.equal(response.headers.get('x-gantry-variant'), 'stable');
      assert.equal(response.headers.get('x-gantry-fallback'), 'candidate-failed');
      assert.ok(data.choices.length > 0, 'the user got an answer');
    }
    const breaker = await gateway.admin.breaker('guarded');
    assert.equal(breaker?.open, true);
    assert.match(breaker?.reason ?? '', /5 of the candidate's last 5 requests failed/);
    // once open, live traffic does not even try the candidate
    const { response } = await client.chat.completions.create(guarded).withResponse();
    assert.equal(response.headers.get('x-gantry-fallback'), null);
    assert.equal(response.headers.get('x-gantry-variant'), 'stable');
    const window = await gateway.admin.windowStats('guarded', 0, Date.now() + 60_000);
    assert.equal(window.candidate.errors, 5);
    assert.match(window.breakerOpen ?? '', /circuit breaker open/);
    const metrics = await (await request(`${gateway.url}/metrics`)).body.text();
    assert.match(metrics, /gantry_gateway_circuit_breaker_open\{route="guarded"\} 1/);
    assert.match(metrics, /gantry_gateway_fallbacks_total\{route="guarded"\} 5/);
  });

  it('answers from stable when the candidate refuses a request the stable takes, and passes on a refusal both give', async () => {
    // The candidate's context window is too small for a long prompt: llama-server answers 400.
    const options = serverOptionsSchema.parse({ contextSize: 128, threads: 1, parallel: 1, chatTemplateFile: chatTemplate });
    const small = await supervisor.start(
      'gw-small-context',
      { engine: 'llama.cpp', modelPath: gemmaQ4(), servedName: 'chat', options },
      60_000,
      () => undefined,
    );
    await gateway.admin.setRoute('refusing', { stable: { url: upstream }, candidate: { url: small.endpoint }, weight: 100 });
    const ask = (words: number) =>
      request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({
          ...question,
          model: 'refusing',
          max_tokens: 2,
          messages: [{ role: 'user', content: `${'one two three '.repeat(words / 3)}how many words?` }],
        }),
        headers: { 'content-type': 'application/json' },
      });
    const direct = await request(`${small.endpoint}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...question, max_tokens: 2, messages: [{ role: 'user', content: 'one two three '.repeat(100) }] }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(Math.floor(direct.statusCode / 100), 4, 'the small candidate refuses the long prompt itself');
    await direct.body.dump();

    const answered = await ask(300);
    assert.equal(answered.statusCode, 200, await answered.body.text());
    assert.equal(answered.headers['x-gantry-variant'], 'stable');
    assert.equal(answered.headers['x-gantry-fallback'], 'candidate-failed');

    // Longer than either window: the stable refuses it too, so it is the client's error.
    const refused = await ask(3_000);
    assert.equal(Math.floor(refused.statusCode / 100), 4);
    assert.equal(refused.headers['x-gantry-variant'], 'stable');
    assert.equal(refused.headers['x-gantry-fallback'], 'client-error');
    await refused.body.dump();

    const window = await gateway.admin.windowStats('refusing', 0, Date.now() + 60_000);
    assert.equal(window.candidate.errors, 1, 'only the refusal the stable did not share counts against the candidate');
    const metrics = await (await request(`${gateway.url}/metrics`)).body.text();
    assert.match(metrics, /gantry_gateway_fallbacks_total\{route="refusing"\} 1/);
    await supervisor.stop('gw-small-context');
  });

  it('passes a candidate failure through when fallback is off', async () => {
    const dead = { url: `http://127.0.0.1:${await quietPort()}/v1` };
    await gateway.admin.setRoute('unguarded', { stable: { url: upstream }, candidate: dead, weight: 100, fallbackToStable: false });
    const response = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...question, model: 'unguarded' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.statusCode, 502);
    assert.equal(response.headers['x-gantry-variant'], 'candidate');
    await response.body.dump();
  });
});

describe('gateway bad input', () => {
  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const response = await request(`${gateway.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    return { status: response.statusCode, body: (await response.body.json()) as { error?: { message: string; type: string } } };
  };

  it('answers invalid JSON, a missing model and an unknown model with OpenAI-style errors', async () => {
    const invalid = await post('/v1/chat/completions', '{"model": ');
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error?.type, 'invalid_request_error');
    const noModel = await post('/v1/chat/completions', '{"messages": []}');
    assert.equal(noModel.status, 400);
    assert.match(noModel.body.error?.message ?? '', /"model" is required/);
    const unknown = await post('/v1/chat/completions', '{"model": "gpt-7", "messages": []}');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error?.message ?? '', /the model "gpt-7" does not exist/);
    const tooLarge = await post('/v1/chat/completions', JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(100_000) }] }));
    assert.equal(tooLarge.status, 413);
  });

  it('answers an oversized body with a 413 the official client reads, every time', async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    for (let i = 0; i < 10; i++) {
      const error = await client.chat.completions.create({ ...question, messages: [{ role: 'user', content: huge }] }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof OpenAI.APIError, `try ${i + 1}: ${String(error)}`);
      assert.equal(error.status, 413, `try ${i + 1}: ${error.message}`);
    }
  });

  it('answers 502 naming the variant, never its address, when its upstream is down', async () => {
    const port = await quietPort();
    await gateway.admin.setRoute('down', { stable: { url: `http://127.0.0.1:${port}/v1` } });
    const result = await post('/v1/chat/completions', JSON.stringify({ ...question, model: 'down' }));
    assert.equal(result.status, 502);
    assert.equal(result.body.error?.message, 'the stable model server is unreachable');
    assert.ok(
      !JSON.stringify(result.body).includes(String(port)) && !/ECONNREFUSED|127\.0\.0\.1/.test(JSON.stringify(result.body)),
      'no internal address or transport error',
    );
  });

  it('tells readiness to anyone, and which routes exist only to the admin token', async () => {
    const open = await request(`${gateway.url}/readyz`);
    const body = (await open.body.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['ready']);
    const admin = await request(`${gateway.url}/readyz`, { headers: { authorization: `Bearer ${gateway.token}` } });
    const full = (await admin.body.json()) as { routes?: Record<string, unknown> };
    assert.ok(full.routes && 'chat' in full.routes, JSON.stringify(full));
  });

  it('refuses admin calls without the right token', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${gateway.token}`]) {
      const response = await request(`${gateway.url}/admin/routes`, { headers: authorization ? { authorization } : {} });
      assert.equal(response.statusCode, 401);
      await response.body.dump();
    }
    const bad = await request(`${gateway.url}/admin/routes/chat`, {
      method: 'PUT',
      body: JSON.stringify({ stable: { url: 'not a url' } }),
      headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(((await bad.body.json()) as { error: { message: string } }).error.message, /invalid route: stable\.url/);
  });
});
