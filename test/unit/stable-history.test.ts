// A route's history of stables: what each route change did to the stable, kept owner-only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeConfigSchema, type RouteConfig } from '../../src/gateway/route-config';
import { StableHistory, stableChange } from '../../src/gateway/stable-history';

const at = new Date('2026-12-01T10:00:00Z');
const route = (over: Record<string, unknown>): RouteConfig =>
  routeConfigSchema.parse({ stable: { url: 'http://127.0.0.1:9000/v1', deployment: { host: 'local', id: 'old' }, artifact: '/m/old.gguf' }, ...over });
const candidate = { url: 'http://127.0.0.1:9001/v1', deployment: { host: 'local', id: 'r1-candidate' }, artifact: '/m/new.Q8_0.gguf', label: 'r1 candidate' };

describe('stable history', () => {
  it('names each change of the stable and ignores route changes that keep it', () => {
    const first = route({});
    assert.equal(stableChange(undefined, first, at)?.change, 'created');
    assert.equal(stableChange(first, route({ weight: 50, candidate, rolloutId: 'r1' }), at), null);
    const promoted = stableChange(route({ candidate, rolloutId: 'r1' }), route({ stable: candidate }), at);
    assert.deepEqual(promoted, {
      at: at.toISOString(),
      change: 'promoted',
      rolloutId: 'r1',
      endpoint: candidate.url,
      label: 'r1 candidate',
      deployment: candidate.deployment,
      artifact: '/m/new.Q8_0.gguf',
    });
    const back = route({ stable: { url: 'http://127.0.0.1:9000/v1', deployment: { host: 'local', id: 'old' }, label: 'stable (restored by r1)' } });
    assert.deepEqual(
      [stableChange(route({ stable: candidate }), back, at)?.change, stableChange(route({ stable: candidate }), back, at)?.rolloutId],
      ['reverted', 'r1'],
    );
    const moved = route({ stable: { url: 'http://127.0.0.1:9500/v1' } });
    assert.equal(stableChange(first, moved, at)?.change, 're-pointed');
  });

  it('keeps entries per route across restarts in an owner-only file, a reverted server with the file it served', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gantry-history-')), 'stable-history.json');
    const history = new StableHistory(file);
    history.record('chat', stableChange(undefined, route({}), at) as NonNullable<ReturnType<typeof stableChange>>);
    const back = route({ stable: { url: 'http://127.0.0.1:9000/v1', deployment: { host: 'local', id: 'old' }, label: 'stable (restored by r1)' } });
    history.record('chat', stableChange(route({ stable: candidate }), back, at) as NonNullable<ReturnType<typeof stableChange>>);
    assert.equal((statSync(file).mode & 0o777).toString(8), '600');
    const reread = new StableHistory(file).of('chat');
    assert.deepEqual(
      reread?.map((e) => [e.change, e.artifact]),
      [
        ['created', '/m/old.gguf'],
        ['reverted', '/m/old.gguf'],
      ],
    );
    assert.equal(new StableHistory(file).of('other'), undefined);
  });
});
