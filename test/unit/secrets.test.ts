// Secrets out of history: specs name keys and webhook URLs instead of holding them, activities read
// them on the worker, and the optional payload codec seals everything the SDK writes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { parseSpec } from '../../src/config/load-spec';
import { webhookLabel } from '../../src/config/spec';
import { secretFromEnv, webhookUrl } from '../../src/activities/secrets';
import { secretWarnings } from '../../src/cli/rollout/secret-names';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, dataConverterFor, parsePayloadKey } from '../../src/temporal/payload-codec';
import { createCodecServer } from '../../src/temporal/codec-server';

const base = `
name: demo
route: chat
candidate: { model: /models/m.gguf }
canary: { steps: [{ weight: 100, duration: 1h }] }
`;

const specError = (yaml: string): string => {
  try {
    parseSpec(base + yaml, 'spec.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('secrets in the spec', () => {
  it('refuses an API key written in the spec, and names the variable to use instead', () => {
    assert.match(
      specError('stable: { endpoint: "http://10.0.0.5/v1", apiKey: "sk-live-1" }'),
      /^spec\.yaml: stable\.apiKey: a secret written in the spec .*apiKeyEnv/,
    );
    assert.match(
      specError('stable: { endpoint: "http://10.0.0.5/v1", apiKeyEnv: "not a name" }'),
      /^spec\.yaml: stable\.apiKeyEnv: an environment variable name$/,
    );
    const spec = parseSpec(`${base}stable: { endpoint: "http://10.0.0.5/v1", apiKeyEnv: STABLE_KEY }`, 'spec.yaml');
    assert.deepEqual(spec.stable, { endpoint: 'http://10.0.0.5/v1', apiKeyEnv: 'STABLE_KEY' });
  });

  it('takes a webhook as exactly one of url, urlEnv or urlFile, and never names a secret one by its URL', () => {
    assert.match(specError('notifications: { webhooks: [{ url: "http://h/x", urlEnv: HOOK }] }'), /webhooks\[0\]: give exactly one of url, urlEnv or urlFile/);
    assert.match(specError('notifications: { webhooks: [{ format: slack }] }'), /webhooks\[0\]: give exactly one of url, urlEnv or urlFile/);
    const spec = parseSpec(`${base}notifications: { webhooks: [{ urlEnv: SLACK_HOOK, format: slack }, { urlFile: /etc/gantry/hook }] }`, 'spec.yaml');
    const [fromEnv, fromFile] = spec.notifications.webhooks;
    assert.ok(fromEnv && fromFile);
    assert.equal(webhookLabel(fromEnv), 'the webhook in $SLACK_HOOK');
    assert.equal(webhookLabel(fromFile), 'the webhook in /etc/gantry/hook');
  });

  it('warns at start when a named secret is missing here and no allow-list is here to check it', () => {
    const spec = parseSpec(
      `${base}stable: { endpoint: "http://10.0.0.5/v1", apiKeyEnv: STABLE_KEY }\nnotifications: { webhooks: [{ urlEnv: HOOK }, { urlFile: /nonexistent/hook }] }`,
      'spec.yaml',
    );
    assert.deepEqual(secretWarnings(spec, { HOOK: 'https://hooks.example/T1' }), [
      'warning: stable.apiKeyEnv names STABLE_KEY, which is not set here: the orchestrator worker must have it',
      'warning: GANTRY_SECRETS_FILE is not set here, so the named secrets are checked only by the orchestrator worker, against its allow-list',
      'warning: notifications.webhooks[1].urlFile /nonexistent/hook does not exist here: the orchestrator worker must have it',
    ]);
    assert.deepEqual(secretWarnings({ ...spec, stable: undefined, notifications: { webhooks: [] } }, {}), []);
  });

  it('refuses a spec that names a variable Gantry keeps for itself, whatever the allow-list says', () => {
    for (const name of [
      'GANTRY_ADMIN_TOKEN',
      'GANTRY_PAYLOAD_KEY',
      'TEMPORAL_API_KEY',
      'GANTRY_PAIR_STORE_URL',
      'PGPASSWORD',
      'DATABASE_URL',
      'AWS_SECRET_ACCESS_KEY',
    ]) {
      assert.match(
        specError(`stable: { endpoint: "http://10.0.0.5/v1", apiKeyEnv: ${name} }`),
        /stable\.apiKeyEnv: names a variable Gantry keeps for itself/,
        name,
      );
    }
    assert.match(specError('notifications: { webhooks: [{ urlEnv: GANTRY_ADMIN_TOKEN }] }'), /webhooks\[0\]\.urlEnv: names a variable Gantry keeps for itself/);
  });

  it('refuses at start a secret the allow-list here does not bind to the endpoint the spec chose', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-secrets-'));
    const file = join(dir, 'secrets.yaml');
    writeFileSync(file, 'STABLE_KEY: [https://api.example.com/v1]\n');
    const env = { GANTRY_SECRETS_FILE: file, STABLE_KEY: 'sk', OTHER_KEY: 'x' };
    const at = (endpoint: string, name = 'STABLE_KEY') => parseSpec(`${base}stable: { endpoint: "${endpoint}", apiKeyEnv: ${name} }`, 'spec.yaml');
    assert.deepEqual(secretWarnings(at('https://api.example.com/v1'), env), []);
    assert.throws(
      () => secretWarnings(at('https://evil.example.net/v1'), env),
      /stable\.apiKeyEnv: STABLE_KEY may not be sent to https:\/\/evil\.example\.net \(the allow-list binds it to https:\/\/api\.example\.com\/v1\)/,
    );
    assert.throws(() => secretWarnings(at('https://api.example.com/v1x'), env), /may not be sent to/);
    assert.throws(() => secretWarnings(at('https://api.example.com/v1', 'OTHER_KEY'), env), /OTHER_KEY is not in the worker's secrets allow-list/);
  });
});

describe('secrets read on the worker', () => {
  const allowed = (entries: string): NodeJS.ProcessEnv => {
    const file = join(mkdtempSync(join(tmpdir(), 'gantry-secrets-')), 'secrets.yaml');
    writeFileSync(file, entries);
    return { GANTRY_SECRETS_FILE: file };
  };
  const refusedWith = (pattern: RegExp) => (error: unknown) => error instanceof ApplicationFailure && error.nonRetryable && pattern.test(error.message);

  it('reads a listed variable for an endpoint it is bound to, and fails without retry naming the field otherwise', () => {
    const env: NodeJS.ProcessEnv = { ...allowed('STABLE_KEY: [http://10.0.0.5/v1]\n'), STABLE_KEY: ' sk-1 \n', GANTRY_ADMIN_TOKEN: 'admin-token-0123456789' };
    assert.equal(secretFromEnv('stable.apiKeyEnv', 'STABLE_KEY', 'http://10.0.0.5/v1', env), 'sk-1');
    assert.throws(
      () => secretFromEnv('stable.apiKeyEnv', 'STABLE_KEY', 'http://10.0.0.5/v1', { GANTRY_SECRETS_FILE: env.GANTRY_SECRETS_FILE }),
      refusedWith(/^stable\.apiKeyEnv: STABLE_KEY is not set on the orchestrator worker/),
    );
    // The finding: a spec chose the variable and the host. Neither the admin token nor a listed key to another host is read.
    assert.throws(() => secretFromEnv('stable.apiKeyEnv', 'GANTRY_ADMIN_TOKEN', 'http://10.0.0.5/v1', env), refusedWith(/keeps for itself/));
    assert.throws(
      () => secretFromEnv('quality.judge.apiKeyEnv', 'STABLE_KEY', 'http://attacker.example/v1', env),
      refusedWith(/may not be sent to http:\/\/attacker\.example/),
    );
    assert.throws(
      () => secretFromEnv('stable.apiKeyEnv', 'STABLE_KEY', 'http://10.0.0.5/v1', { STABLE_KEY: 'sk' }),
      refusedWith(/not in the worker's secrets allow-list \(set GANTRY_SECRETS_FILE/),
    );
    assert.throws(
      () => secretFromEnv('stable.apiKeyEnv', 'STABLE_KEY', 'http://10.0.0.5/v1', allowed('STABLE_KEY: not-a-list\n')),
      refusedWith(/secrets\.yaml: STABLE_KEY: /),
    );
  });

  it('reads a webhook URL from a variable or the first line of a file, and names a missing one without its URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-hook-'));
    const file = join(dir, 'hook');
    writeFileSync(file, 'https://hooks.example/services/T1/B2/secret\nignored\n');
    assert.equal(webhookUrl({ urlFile: file }), 'https://hooks.example/services/T1/B2/secret');
    assert.equal(
      webhookUrl({ urlEnv: 'HOOK' }, { ...allowed('HOOK: [https://hooks.example/]\n'), HOOK: 'https://hooks.example/x' }),
      'https://hooks.example/x',
    );
    assert.throws(
      () => webhookUrl({ urlEnv: 'HOOK' }, { ...allowed('HOOK: [https://hooks.example/]\n'), HOOK: 'http://169.254.169.254/latest' }),
      (error: unknown) => error instanceof Error && /not under the prefixes/.test(error.message) && !error.message.includes('169.254'),
    );
    assert.equal(webhookUrl({ url: 'http://plain/hook' }), 'http://plain/hook');
    assert.throws(() => webhookUrl({ urlFile: join(dir, 'missing') }), /urlFile: cannot read .*missing on the orchestrator worker: ENOENT/);
    writeFileSync(file, '\n');
    assert.throws(() => webhookUrl({ urlFile: file }), /urlFile: the webhook in .*hook is empty/);
  });
});

describe('payload codec', () => {
  const key = Buffer.alloc(32, 7);
  const codec = new AesGcmPayloadCodec(key);
  const plain = defaultPayloadConverter.toPayload({ route: 'chat-secret-route', webhook: 'https://hooks.example/T1' });

  it('seals the whole payload, metadata too, and opens it again', async () => {
    const [sealed] = await codec.encode([plain]);
    assert.ok(sealed);
    assert.equal(new TextDecoder().decode(sealed.metadata?.encoding ?? undefined), ENCRYPTED_ENCODING);
    assert.ok(!Buffer.from(sealed.data ?? []).includes('chat-secret-route'), 'the data is ciphertext');
    assert.ok(!Buffer.from(sealed.data ?? []).includes('json/plain'), 'the original encoding is sealed with it');
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened ?? {}), { route: 'chat-secret-route', webhook: 'https://hooks.example/T1' });
  });

  it('leaves payloads written before encryption readable, and refuses another key or tampered data by name', async () => {
    assert.deepEqual(await codec.decode([plain]), [plain]);
    const [sealed] = await codec.encode([plain]);
    assert.ok(sealed?.data);
    const other = new AesGcmPayloadCodec(Buffer.alloc(32, 8));
    await assert.rejects(other.decode([sealed]), new RegExp(`encrypted with key ${codec.keyId}, but GANTRY_PAYLOAD_KEY is key ${other.keyId}`));
    const tampered = Buffer.from(sealed.data);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    await assert.rejects(codec.decode([{ ...sealed, data: tampered }]), /unable to authenticate/i);
  });

  it('takes a 32-byte base64 key and names a wrong one', () => {
    assert.equal(parsePayloadKey(key.toString('base64')).length, 32);
    assert.throws(() => parsePayloadKey('c2hvcnQ='), /GANTRY_PAYLOAD_KEY must be 32 bytes in base64 \(it decodes to 5\)/);
    assert.equal(dataConverterFor(undefined), undefined);
    assert.equal(dataConverterFor(key.toString('base64'))?.payloadCodecs.length, 1);
  });

  it('decodes over HTTP for the Web UI and the CLI, from the Web UI origin only', async () => {
    const origin = 'http://127.0.0.1:8233';
    const server = createCodecServer(codec, origin);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/namespaces/default`;
    try {
      const [sealed] = await codec.encode([plain]);
      assert.ok(sealed);
      const asJson = {
        payloads: [
          {
            metadata: {
              encoding: Buffer.from(sealed.metadata?.encoding ?? []).toString('base64'),
              'encryption-key-id': Buffer.from(sealed.metadata?.['encryption-key-id'] ?? []).toString('base64'),
            },
            data: Buffer.from(sealed.data ?? []).toString('base64'),
          },
        ],
      };
      const decoded = await request(`${url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, 'x-namespace': 'default' },
        body: JSON.stringify(asJson),
      });
      assert.equal(decoded.statusCode, 200);
      assert.equal(decoded.headers['access-control-allow-origin'], origin);
      const body = (await decoded.body.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      assert.equal(Buffer.from(body.payloads[0]?.metadata.encoding ?? '', 'base64').toString(), 'json/plain');
      assert.match(Buffer.from(body.payloads[0]?.data ?? '', 'base64').toString(), /chat-secret-route/);

      const elsewhere = await request(`${url}/decode`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: JSON.stringify(asJson) });
      assert.equal(elsewhere.statusCode, 403);
      await elsewhere.body.dump();
      const garbage = await request(`${url}/decode`, { method: 'POST', body: '{not json' });
      assert.equal(garbage.statusCode, 400);
      await garbage.body.dump();
      const preflight = await request(`${url}/decode`, { method: 'OPTIONS', headers: { origin } });
      assert.equal(preflight.statusCode, 204);
      assert.match(String(preflight.headers['access-control-allow-headers']), /x-namespace/);
      await preflight.body.dump();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
