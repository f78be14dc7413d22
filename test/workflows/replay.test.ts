// Replays committed histories of finished rollouts against the current workflow code: a change
// that would break rollouts already running fails here. Such changes go behind patched().
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { workflowBundle } from '../helpers/workflow-env';
import { REPO_ROOT } from '../../src/config/toolchain';

const dir = join(REPO_ROOT, 'test/workflows/histories');
// Every release's histories, oldest first: each release must still replay all of them.
const files = readdirSync(dir)
  .filter((release) => release.startsWith('release-'))
  .sort()
  .flatMap((release) =>
    readdirSync(join(dir, release))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => `${release}/${f}`),
  );

describe('replaying recorded rollouts against the current workflow code', () => {
  it('has the histories to replay', () => {
    assert.deepEqual(files, [
      'release-1/paused-and-resumed.json',
      'release-1/promoted.json',
      'release-1/rolled-back-by-operator.json',
      'release-1/rolled-back-on-breach.json',
      'release-2/breaker-tripped.json',
      'release-2/gradually-rolled-back.json',
      'release-2/paused-and-resumed.json',
      'release-2/promoted.json',
      'release-2/quality-rolled-back.json',
      'release-2/rolled-back-by-operator.json',
      'release-2/rolled-back-on-breach.json',
    ]);
  });
  for (const file of files) {
    it(`replays ${file} without non-determinism`, async () => {
      // Decoded with the proto package's own types: the SDK's JSON path trips over a second
      // protobufjs copy in the dependency tree.
      const history = proto.temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(join(dir, file), 'utf8')) as object);
      assert.ok(history.events.length > 20);
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: file }, history);
    });
  }
});
