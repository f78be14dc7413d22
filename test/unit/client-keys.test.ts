// Client keys: the token bucket's arithmetic, the hashed owner-only store, and who gets 401, 403, 429.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenBucket } from '../../src/gateway/token-bucket';
import { ClientKeyStore } from '../../src/gateway/client-keys';
import { ClientAccess } from '../../src/gateway/client-access';
import { isLoopback } from '../../src/gateway/gateway-config';

const now = new Date('2026-12-01T10:00:00Z');
const storeFile = (): string => join(mkdtempSync(join(tmpdir(), 'gantry-keys-')), 'client-keys.json');

describe('token bucket', () => {
  it('allows the burst at once, then one request per refill, and says when the next token comes', () => {
    const bucket = new TokenBucket(60, 3, 0); // one a second
    assert.deepEqual(
      [0, 0, 0].map((t) => bucket.take(t).allowed),
      [true, true, true],
    );
    assert.deepEqual(bucket.take(0), { allowed: false, retryAfterMs: 1000 });
    assert.deepEqual(bucket.take(400), { allowed: false, retryAfterMs: 600 });
    assert.equal(bucket.take(1000).allowed, true);
    assert.equal(bucket.take(1000).allowed, false);
    assert.deepEqual(
      [10_000, 10_000, 10_000, 10_000].map((t) => bucket.take(t).allowed),
      [true, true, true, false],
      'refills up to the burst only',
    );
  });
});

describe('client key store', () => {
  it('shows a key once, keeps its hash in an owner-only file, and finds it until revoked, across restarts', () => {
    const file = storeFile();
    const store = new ClientKeyStore(file);
    const { key, record } = store.create({ name: 'web', routes: ['chat'], ratePerMinute: 120 }, now);
    assert.match(key, /^gk-[A-Za-z0-9_-]{32}$/);
    assert.equal(record.burst, 2, 'the burst defaults to the rate per second');
    assert.equal(record.prefix, key.slice(0, 9));
    assert.equal((statSync(file).mode & 0o777).toString(8), '600');
    assert.ok(!readFileSync(file, 'utf8').includes(key));
    assert.equal(new ClientKeyStore(file).find(key)?.id, record.id, 'found after a restart');
    assert.equal(store.find(`${key}x`), undefined);
    assert.equal(store.find('not-a-client-key'), undefined);
    assert.equal(store.revoke(record.id, now)?.revokedAt, now.toISOString());
    assert.equal(store.find(key), undefined);
    assert.equal(new ClientKeyStore(file).find(key), undefined, 'revoked for good');
    assert.equal(store.revoke('nope', now), undefined);
  });
});

describe('client access', () => {
  it('lets everyone through with keys off; with keys required answers 401, 403 and 429 in that order', () => {
    const store = new ClientKeyStore(storeFile());
    assert.deepEqual(new ClientAccess('off', store).check(undefined, 'chat', 0), { allowed: true, key: null });
    const access = new ClientAccess('required', store);
    const limited = store.create({ name: 'batch', routes: ['chat'], ratePerMinute: 6, burst: 1 }, now).key;
    const status = (auth: string | undefined, route: string | undefined, t = 0): number => {
      const answer = access.check(auth, route, t);
      return answer.allowed ? 200 : answer.status;
    };
    assert.equal(status(undefined, 'chat'), 401);
    assert.equal(status('Bearer gk-unknown', 'chat'), 401);
    assert.equal(status(`Basic ${limited}`, 'chat'), 401);
    assert.equal(status(`Bearer ${limited}`, 'other'), 403);
    assert.equal(status(`Bearer ${limited}`, undefined), 200, 'who you are is checked without a route');
    assert.equal(status(`Bearer ${limited}`, 'chat'), 200);
    const refused = access.check(`Bearer ${limited}`, 'chat', 1000);
    assert.ok(!refused.allowed && refused.status === 429);
    assert.equal(refused.retryAfterSeconds, 9);
    assert.equal(refused.body.error.code, 'rate_limit_exceeded');
    assert.equal(status(`Bearer ${limited}`, 'chat', 10_000), 200, 'a token again after 10 s');
  });

  it('knows loopback addresses from the rest', () => {
    assert.deepEqual(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '0.0.0.0', '10.0.0.5', '::'].map(isLoopback), [
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
