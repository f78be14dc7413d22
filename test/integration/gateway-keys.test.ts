// Client keys on the gateway process, in front of a real llama-server that needs its own key: a
// request needs a live client key, a key may be limited to routes and to a rate (429 with
// retry-after), revoking works at once, keys are kept hashed in an owner-only file, the upstream's
// key never reaches a client, and the gateway will not listen beyond loopback without keys.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { request } from 'undici';
import { execa } from 'execa';
import { ServerSupervisor } from '../../src/hosts/server-supervisor';
import { launchCommandFor } from '../../src/adapters/model-server-engine';
import { engineBinaries } from '../../src/hosts/engine-binaries';
import { serverOptionsSchema } from '../../src/config/spec';
import { quietPort } from '../helpers/quiet-ports';
import { REPO_ROOT } from '../../src/config/toolchain';
import { ExitCode } from '../../src/cli/exit-codes';
import { spawnGateway, startGatewayProcess, TEST_ADMIN_TOKEN, type GatewayProcess } from '../helpers/gateway-process';
import { chatTemplate, gemmaQ4 } from '../helpers/real-models';

const UPSTREAM_KEY = 'sk-upstream-0f1e2d3c4b5a';
let supervisor: ServerSupervisor;
let gateway: GatewayProcess;
let dataDir: string;

const ask = (key: string | undefined, model = 'chat') =>
  request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 2, temperature: 0 }),
  });

async function answer(key: string | undefined, model = 'chat'): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  const response = await ask(key, model);
  const retryAfter = response.headers['retry-after'];
  return { status: response.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, body: await response.body.text() };
}

/** The CLI against this gateway, as an operator runs it. */
const cli = (args: string[]) =>
  execa(join(REPO_ROOT, 'bin/gantry'), ['gateway', 'keys', ...args], {
    env: { ...process.env, GANTRY_GATEWAY_URL: gateway.url, GANTRY_ADMIN_TOKEN: TEST_ADMIN_TOKEN },
    reject: false,
  });

before(async () => {
  supervisor = new ServerSupervisor(mkdtempSync(join(tmpdir(), 'gantry-host-')), launchCommandFor(engineBinaries, '127.0.0.1'));
  const options = serverOptionsSchema.parse({ contextSize: 512, threads: 1, chatTemplateFile: chatTemplate, extraArgs: ['--api-key', UPSTREAM_KEY] });
  const server = await supervisor.start('keys-upstream', { engine: 'llama.cpp', modelPath: gemmaQ4(), servedName: 'chat', options }, 60_000, () => undefined);
  dataDir = mkdtempSync(join(tmpdir(), 'gantry-gw-keys-'));
  gateway = await startGatewayProcess({ GANTRY_GATEWAY_DATA_DIR: dataDir, GANTRY_GATEWAY_CLIENT_KEYS: 'required' });
  for (const route of ['chat', 'other']) await gateway.admin.setRoute(route, { stable: { url: server.endpoint, apiKey: UPSTREAM_KEY, label: 'stable' } });
});
describe('limits before work', () => {
  it('refuses an unknown key before reading the body as JSON: a 4 MiB body that is not JSON gets 401, not 400', async () => {
    const junk = '{'.repeat(4 * 1024 * 1024 - 1024);
    for (const authorization of [undefined, 'Bearer not-a-key']) {
      const response = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: junk,
      });
      const text = await response.body.text();
      assert.equal(response.statusCode, 401, text);
      assert.match(text, /API key/);
    }
  });
});

after(async () => {
  gateway?.child.kill('SIGTERM');
  await gateway?.exited;
  await supervisor?.stopAll();
});

describe('client keys on the data plane', () => {
  it('answers only a live client key; not the admin token, not a made-up key', async () => {
    const none = await answer(undefined);
    assert.equal(none.status, 401);
    assert.match(none.body, /"code":"invalid_api_key"/);
    assert.equal((await answer(TEST_ADMIN_TOKEN)).status, 401, 'the admin token is not a client key');
    assert.equal((await answer('gk-made-up-key')).status, 401);
    assert.equal((await answer(undefined, 'no-such-route')).status, 401, 'without a key, not even whether a route exists');

    const created = await cli(['create', '--name', 'web-app', '--json']);
    assert.equal(created.exitCode, 0, created.stderr);
    const { key, id } = JSON.parse(created.stdout) as { key: string; id: string };
    assert.match(key, /^gk-/);
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 2 });
    assert.ok(completion.choices[0], 'the key opens the route; the gateway adds the upstream key');
    const admin = await request(`${gateway.url}/admin/routes`, { headers: { authorization: `Bearer ${key}` } });
    await admin.body.dump();
    assert.equal(admin.statusCode, 401, 'a client key does not open the admin API');

    const revoked = await cli(['revoke', id]);
    assert.equal(revoked.exitCode, 0, revoked.stderr);
    assert.equal((await answer(key)).status, 401, 'a revoked key is refused at once');
    const again = await cli(['revoke', 'nope']);
    assert.equal(again.exitCode, ExitCode.NOT_FOUND);
    assert.equal(again.stderr.trim(), 'gantry: no client key with id "nope"');
  });

  it('limits a key to its routes and its rate: 403, then 429 with retry-after, OpenAI-style', async () => {
    const created = await gateway.admin.createClientKey({ name: 'batch-job', routes: ['chat'], ratePerMinute: 30, burst: 2 });
    assert.equal((await answer(created.key, 'other')).status, 403);
    const models = await request(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${created.key}` } });
    assert.deepEqual(
      ((await models.body.json()) as { data: { id: string }[] }).data.map((m) => m.id),
      ['chat'],
    );

    const results = [];
    for (let i = 0; i < 3; i++) results.push(await answer(created.key));
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200, 429],
    );
    const limited = results[2];
    assert.ok(limited?.retryAfter && Number(limited.retryAfter) >= 1 && Number(limited.retryAfter) <= 2, `retry-after ${limited?.retryAfter}`);
    assert.match(limited.body, /"code":"rate_limit_exceeded"/);
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: created.key, maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }), OpenAI.RateLimitError);
  });

  it('keeps keys hashed in an owner-only file, lists them without the key, and never shows the upstream key', async () => {
    const file = join(dataDir, 'client-keys.json');
    assert.equal((statSync(file).mode & 0o777).toString(8), '600');
    const stored = readFileSync(file, 'utf8');
    const list = await cli(['list', '--json']);
    assert.equal(list.exitCode, 0, list.stderr);
    const keys = JSON.parse(list.stdout) as { id: string; prefix: string; revokedAt: string | null }[];
    assert.equal(keys.length, 2);
    assert.equal(keys.filter((k) => k.revokedAt).length, 1);
    assert.ok(!list.stdout.includes('"hash"'));
    assert.ok(!stored.includes('"key"') && /"hash": "[0-9a-f]{64}"/.test(stored), 'only hashes are stored');
    const created = await gateway.admin.createClientKey({ name: 'probe' });
    assert.ok(!readFileSync(file, 'utf8').includes(created.key));
    const response = await ask(created.key);
    const everything = JSON.stringify(response.headers) + (await response.body.text()) + gateway.output();
    assert.ok(!everything.includes(UPSTREAM_KEY), 'the upstream key is neither answered nor logged');
    assert.ok(!gateway.output().includes(created.key), 'client keys are not logged');
  });

  it('refuses to listen beyond loopback without client keys', async () => {
    const exposed = spawnGateway({ GANTRY_GATEWAY_DATA_DIR: dataDir, GANTRY_GATEWAY_HOST: '0.0.0.0' }, await quietPort());
    assert.equal(await exposed.exited, 1);
    assert.match(exposed.output(), /listening on 0\.0\.0\.0 \(not loopback\) needs client keys: set GANTRY_GATEWAY_CLIENT_KEYS=required/);
  });
});
