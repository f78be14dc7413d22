// Upgrading a worker under a running rollout: started by the first release's orchestrator (its
// source taken from git at the release commit), the rollout is in its shadow phase when that worker
// is killed and this release's starts in its place. It replays its history, carries on, and promotes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startRealStack, type RealStack } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { prompts } from '../helpers/real-rollout-driver';
import { REPO_ROOT } from '../../src/config/toolchain';
import { devUp } from '../../src/stack/dev-stack';
import { adminToken, gatewayUrl, temporalAddress } from '../../src/stack/stack-config';
import { spawnDetached, waitUntilHealthy } from '../../src/stack/managed-process';
import { stopProcess } from '../../src/hosts/process-control';
import { taskQueuePollers } from '../../src/temporal/client';
import { CONTROL_TASK_QUEUE, statusQuery } from '../../src/workflows/messages';
import { RELEASE_2 } from '../../src/workflows/release';
import { replay } from '../../src/cli/traffic/replay';
import type { RolloutResult } from '../../src/workflows/rollout';

/** The first release: rollouts it started must finish on this one. */
const RELEASE_1_COMMIT = '281f07e2170d2d1009fdabadbbcd616201a40d6d';

let stack: RealStack;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  stack = await startRealStack();
});
after(async () => {
  await stack?.stop();
});

/** The release's source, as a tree beside this checkout that uses its node_modules. */
async function releaseOneTree(): Promise<string> {
  const present = await execa('git', ['-C', REPO_ROOT, 'cat-file', '-e', `${RELEASE_1_COMMIT}^{commit}`], { reject: false });
  assert.equal(present.exitCode, 0, `this clone lacks the first release (${RELEASE_1_COMMIT}): clone with its history`);
  const dir = mkdtempSync(join(tmpdir(), 'gantry-release-1-'));
  const archive = await execa('git', ['-C', REPO_ROOT, 'archive', '--format=tar', RELEASE_1_COMMIT, 'src', 'package.json', 'tsconfig.json'], {
    encoding: 'buffer',
  });
  await execa('tar', ['-x', '-C', dir], { input: archive.stdout });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

describe('a worker upgraded under a running rollout', () => {
  it('finishes on this release a rollout the first release started', async () => {
    const tree = await releaseOneTree();
    const current = stack.processes.find((p) => p.name === 'orchestrator');
    assert.ok(current);
    await stopProcess(current.pid);

    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress(stack.config),
      GANTRY_ADMIN_TOKEN: adminToken(stack.config),
      GANTRY_GATEWAY_URL: gatewayUrl(stack.config),
    };
    const tsx = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
    const old = spawnDetached(
      'orchestrator-release-1',
      process.execPath,
      ['--import', tsx, join(tree, 'src/workers/orchestrator.ts')],
      env,
      join(stack.config.stateDir, 'logs', 'orchestrator-release-1.log'),
      null,
    );
    await waitUntilHealthy(
      old,
      async () => (await taskQueuePollers(stack.client, CONTROL_TASK_QUEUE, 'workflow')).some((id) => id.startsWith(`${old.pid}@`)),
      120_000,
    );

    const id = 'it-upgrade';
    const spec = compressedSpec('chat', { name: 'it-upgrade', qa: undefined, shadow: { duration: '30s', sampleRate: 1, minPairs: 3 } });
    const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', id]);
    assert.equal(start.exitCode, 0, String(start.stderr));
    const handle = stack.client.workflow.getHandle(id);
    // The first release's status query answers until the swap; wait for its shadow phase to be under way.
    for (const deadline = Date.now() + 180_000; ;) {
      const status = (await handle.query(statusQuery)) as unknown as { phase: string; analyses: number };
      if (status.phase === 'Shadow' && status.analyses >= 2) break;
      if (Date.now() > deadline) throw new Error(`the first release never reached its shadow phase: ${status.phase}`);
      await sleep(250);
    }
    const ended = handle.result() as Promise<RolloutResult>;
    let done = false;
    void ended.finally(() => (done = true)).catch(() => undefined);
    const traffic = (async () => {
      while (!done)
        await replay(
          prompts('chat.jsonl'),
          { route: 'chat', rate: 2, durationMs: 4_000, maxInFlight: 4, maxTokens: 8, baseUrl: stack.gatewayUrl },
          () => undefined,
        );
    })();

    await stopProcess(old.pid);
    const upgraded = await devUp(stack.config, () => undefined);
    assert.ok(
      upgraded.some((p) => p.name === 'orchestrator' && p.pid !== old.pid),
      "dev up started this release's orchestrator",
    );

    const result = await ended;
    await traffic;
    assert.equal(result.outcome, 'Promoted', result.reason);
    // This release's status: shadow judged across the swap, then the canary and the evaluation.
    assert.ok(result.status.shadowTotals.pairs >= 3);
    assert.equal(result.status.evaluation?.promote, true);
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const activities = new Set(events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean));
    assert.ok(activities.has('collectWindow'), 'the first release measured the first windows');
    assert.ok(activities.has('collectMeasurements'), 'this release measured the rest');
    const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    assert.ok(markers.length >= 1, `this release marked where its changes began (${RELEASE_2})`);
  });
});
