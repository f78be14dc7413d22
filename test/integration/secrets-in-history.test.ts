// Secrets never in history, on the real stack: a rollout against an external stable that demands an
// API key (llama-server --api-key) and with a Slack webhook whose URL is itself the secret, both
// named by variable. The rollout reaches them, and neither `temporal workflow show` nor the
// Temporal SQLite file holds either. Then, with GANTRY_PAYLOAD_KEY set, every payload is sealed:
// the route's name is gone from history too, and the codec server gives it back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { request } from 'undici';
import { startRealStack, type RealStack } from '../helpers/real-stack';
import { chatTemplate, compressedSpec, gemmaQ4, writeSpec } from '../helpers/real-models';
import { rolloutWithTraffic } from '../helpers/real-rollout-driver';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { quietPort } from '../helpers/quiet-ports';
import { toolPath } from '../../src/config/toolchain';
import { temporalAddress } from '../../src/stack/stack-config';
import type { RolloutResult } from '../../src/workflows/rollout';

const STABLE_KEY = `sk-stable-${randomBytes(8).toString('hex')}`;
const HOOK_SECRET = `T0${randomBytes(6).toString('hex')}/B0${randomBytes(6).toString('hex')}`;

let keyedStable: ResultPromise;
let keyedStableUrl: string;
let hooks: WebhookReceiver;

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request(`${url}/health`).catch(() => undefined);
    if (response) await response.body.dump();
    if (response?.statusCode === 200) return;
    if (Date.now() > deadline) throw new Error(`llama-server at ${url} not healthy after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * What history holds, as the operator's own tool shows it: its JSON, with every payload's data
 * (base64 there) decoded beside it, so a secret is found however it is shown.
 */
async function historyText(stack: RealStack, id: string, codecEndpoint?: string): Promise<string> {
  const args = ['workflow', 'show', '-w', id, '--output', 'json', '--address', temporalAddress(stack.config)];
  const shown = (await execa(toolPath('temporal'), codecEndpoint ? [...args, '--codec-endpoint', codecEndpoint] : args)).stdout;
  const payloadData = [...shown.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1] ?? '', 'base64').toString('utf8'));
  return [shown, ...payloadData].join('\n');
}
function databaseBytes(stack: RealStack): Buffer {
  const files = ['temporal.sqlite', 'temporal.sqlite-wal'].map((f) => join(stack.config.stateDir, f)).filter(existsSync);
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

before(async () => {
  const port = await quietPort();
  keyedStableUrl = `http://127.0.0.1:${port}`;
  keyedStable = execa(
    toolPath('llamaServer'),
    ['-m', gemmaQ4(), '--host', '127.0.0.1', '--port', String(port), '--api-key', STABLE_KEY, '-c', '2048', '-t', '1', '--chat-template-file', chatTemplate],
    { reject: false, stdio: 'ignore' },
  );
  hooks = await startWebhookReceiver();
  await waitForHealth(keyedStableUrl, 60_000);
});
after(async () => {
  keyedStable?.kill('SIGKILL');
  await keyedStable;
  await hooks?.close();
});

describe('secrets named in the spec, read on the worker', () => {
  let stack: RealStack;
  before(async () => {
    // The shell that runs `gantry dev up` holds the secrets; the workers it starts inherit them.
    process.env.IT_STABLE_KEY = STABLE_KEY;
    process.env.IT_SLACK_HOOK = `${hooks.url}/services/${HOOK_SECRET}`;
    // The operator's allow-list: each variable bound to where it may be sent.
    const secretsFile = join(mkdtempSync(join(tmpdir(), 'gantry-secrets-')), 'secrets.yaml');
    writeFileSync(secretsFile, `IT_STABLE_KEY: [${keyedStableUrl}/v1]\nIT_SLACK_HOOK: [${hooks.url}/services/]\n`);
    process.env.GANTRY_SECRETS_FILE = secretsFile;
    stack = await startRealStack();
  });
  after(async () => {
    delete process.env.IT_STABLE_KEY;
    delete process.env.IT_SLACK_HOOK;
    delete process.env.GANTRY_SECRETS_FILE;
    await stack?.stop();
  });

  it('reaches the keyed stable and the Slack webhook, and history holds neither secret', async () => {
    const withoutKey = await request(`${keyedStableUrl}/v1/models`);
    await withoutKey.body.dump();
    assert.equal(withoutKey.statusCode, 401, 'the stable refuses requests without its key');

    const spec = compressedSpec('keyed', {
      name: 'it-keyed',
      stable: { endpoint: `${keyedStableUrl}/v1`, apiKeyEnv: 'IT_STABLE_KEY' },
      notifications: { webhooks: [{ urlEnv: 'IT_SLACK_HOOK', format: 'slack' }] },
    });
    const { result, traffic } = await rolloutWithTraffic(stack, stack.client, 'it-keyed', writeSpec(spec), 'chat.jsonl', 12_000, 'keyed');
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.equal(traffic.errors, 0, JSON.stringify(traffic));
    const qa = result.status.qa;
    assert.ok(qa?.stable && qa.stable.errors === 0, `the QA gate asked the keyed stable: ${JSON.stringify(qa?.stable)}`);
    const slack = hooks.received as unknown as { text: string }[];
    assert.ok(
      slack.some((m) => /it-keyed.*promoted/.test(m.text)),
      `the Slack webhook got the promotion: ${slack.map((m) => m.text).join(' | ')}`,
    );

    const shown = await historyText(stack, 'it-keyed');
    const database = databaseBytes(stack);
    assert.ok(shown.includes('IT_STABLE_KEY'), 'workflow show holds the names (the search can find text)');
    assert.ok(database.includes('IT_STABLE_KEY'), 'the database holds the names (the search can find text)');
    for (const secret of [STABLE_KEY, HOOK_SECRET]) {
      assert.ok(!shown.includes(secret), `temporal workflow show holds ${secret}`);
      assert.ok(!database.includes(secret), `the Temporal SQLite file holds ${secret}`);
    }
  });
});

describe('payloads sealed with GANTRY_PAYLOAD_KEY', () => {
  let stack: RealStack;
  let codecServer: ResultPromise | undefined;
  before(async () => {
    process.env.GANTRY_PAYLOAD_KEY = randomBytes(32).toString('base64');
    stack = await startRealStack();
  });
  after(async () => {
    codecServer?.kill('SIGTERM');
    await codecServer;
    delete process.env.GANTRY_PAYLOAD_KEY;
    await stack?.stop();
  });

  it('keeps even the route name out of history; the CLI and the codec server read it back', async () => {
    const route = `sealed-${randomBytes(4).toString('hex')}`;
    const spec = writeSpec({ ...compressedSpec(route, { name: 'it-sealed' }), qa: undefined, shadow: { duration: '10m' } });
    const start = await stack.cli(['rollout', 'start', spec, '--id', 'it-sealed']);
    assert.equal(start.exitCode, 0, String(start.stderr));
    const rollback = await stack.cli(['rollout', 'rollback', 'it-sealed', '--reason', 'sealed test']);
    assert.equal(rollback.exitCode, 0, String(rollback.stderr));
    const result = (await stack.client.workflow.getHandle('it-sealed').result()) as RolloutResult;
    assert.equal(result.status.route, route, 'the client decodes the result');
    const status = await stack.cli(['rollout', 'status', 'it-sealed', '--json']);
    assert.equal(status.exitCode, 0, String(status.stderr));
    assert.match(String(status.stdout), new RegExp(route));
    const withoutKey = await stack.cli(['rollout', 'status', 'it-sealed'], { GANTRY_PAYLOAD_KEY: '' });
    assert.notEqual(withoutKey.exitCode, 0);
    assert.equal(String(withoutKey.stderr).trim(), "gantry: the rollout's payloads are encrypted: set GANTRY_PAYLOAD_KEY to the key its workers use");

    assert.ok(!(await historyText(stack, 'it-sealed')).includes(route), 'temporal workflow show holds the route name');
    assert.ok(!databaseBytes(stack).includes(route), 'the Temporal SQLite file holds the route name');

    codecServer = execa(join(process.cwd(), 'bin/gantry'), ['dev', 'codec-server'], { env: { ...process.env, ...stack.env }, reject: false });
    await new Promise<void>((resolve, reject) => {
      codecServer?.stdout?.on('data', (chunk: Buffer) => (String(chunk).includes('codec server on') ? resolve() : undefined));
      void codecServer?.then((r) => reject(new Error(`codec server exited: ${String(r.stderr)}`)));
    });
    const decoded = await historyText(stack, 'it-sealed', `http://127.0.0.1:${stack.config.codecPort}`);
    assert.ok(decoded.includes(route), 'with the codec endpoint, the history reads in the clear');
  });
});
