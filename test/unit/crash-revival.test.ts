// The host agent's crash watch on its own: servers (a tiny HTTP server standing in for a model
// server) that die without being stopped are brought back on their port, a crash loop is left down
// until a new start, and a deployment stopped on purpose stays stopped.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerSupervisor, type CrashPolicy } from '../../src/hosts/server-supervisor';
import { isAlive } from '../../src/hosts/process-control';
import { serverOptionsSchema } from '../../src/config/spec';
import type { ServerLaunch } from '../../src/adapters/model-server-engine';

const SERVER = "require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')";
const supervisor = new ServerSupervisor(mkdtempSync(join(tmpdir(), 'gantry-crash-')), (_launch, port) => ({
  file: process.execPath,
  args: ['-e', SERVER, String(port)],
}));
const launch: ServerLaunch = { engine: 'llama.cpp', modelPath: '/models/m.gguf', servedName: 'm', options: serverOptionsSchema.parse({}) };
const policy: CrashPolicy = { readyTimeoutMs: 10_000, limit: 2, windowMs: 60_000 };

after(async () => {
  await supervisor.stopAll();
});

async function crash(deploymentId: string): Promise<number> {
  const record = supervisor.get(deploymentId);
  assert.ok(record);
  process.kill(record.pid, 'SIGKILL');
  for (let i = 0; i < 100 && isAlive(record.pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return record.pid;
}

describe('the crash watch', () => {
  it('leaves running servers alone, and brings a crashed one back on its port', async () => {
    const first = await supervisor.start('a', launch, 10_000, () => undefined);
    assert.deepEqual(await supervisor.reviveCrashed(policy), { revived: [], givenUp: [], failed: [] });
    const dead = await crash('a');
    const sweep = await supervisor.reviveCrashed(policy);
    assert.deepEqual(
      sweep.revived.map((r) => [r.deploymentId, r.port, r.revivals]),
      [['a', first.port, 1]],
    );
    const revived = supervisor.get('a');
    assert.ok(revived && revived.pid !== dead && isAlive(revived.pid) && revived.lastCrashAt);
  });

  it('leaves a crash-looping server down after `limit` revivals, until it is started again', async () => {
    await crash('a');
    assert.equal((await supervisor.reviveCrashed(policy)).revived.length, 1, 'the second revival is within the limit of 2');
    await crash('a');
    assert.deepEqual(await supervisor.reviveCrashed(policy), { revived: [], givenUp: ['a'], failed: [] });
    assert.deepEqual((await supervisor.reviveCrashed(policy)).givenUp, [], 'given up on once, not again at every look');
    assert.equal(isAlive(supervisor.get('a')?.pid ?? -1), false);
    // A start on purpose (a stable check) clears it: that server is watched afresh.
    const restarted = await supervisor.restart('a', 10_000, () => undefined);
    assert.ok(isAlive(restarted.pid));
    await crash('a');
    assert.equal((await supervisor.reviveCrashed(policy)).revived.length, 1);
  });

  it('does not bring back a deployment stopped on purpose', async () => {
    await supervisor.start('b', launch, 10_000, () => undefined);
    await supervisor.stop('b');
    assert.deepEqual((await supervisor.reviveCrashed(policy)).revived, []);
    assert.equal(supervisor.get('b'), undefined);
  });
});
