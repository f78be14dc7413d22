// A way back after promotion: with `promotion.keepPrevious` the replaced stable keeps serving for
// the window; a revert sends the route back to it and stops the promoted server (RolledBack), and
// without one the window ends with the previous stable stopped (Promoted).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { command, startRollout, waitForStatus } from '../helpers/workflow-driver';
import { revertSignal, rollbackSignal } from '../../src/workflows/messages';
import type { RolloutSpec } from '../../src/config/spec';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

/** A short rollout (no QA, no shadow, one day of canary) that keeps the previous stable for 2 hours. */
function keeping(): RolloutSpec {
  const spec = weeksLongSpec({ promotion: { keepPrevious: '2h' } });
  return { ...spec, qa: undefined, shadow: undefined, canary: { steps: [{ weight: 50, duration: 24 * 3_600_000, advance: 'auto', onTimeout: 'hold' }] } };
}

describe('keeping the previous stable after promotion', () => {
  it('reverts at once within the window: the route is back on the previous stable, the promoted server stopped, RolledBack', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, keeping());
      const id = handle.workflowId;
      const refusedEarly = await command(handle, revertSignal, { by: 'ops', reason: 'too early' });
      assert.deepEqual([refusedEarly.accepted, refusedEarly.message], [false, 'nothing to revert: the rollout has not been promoted']);

      const promoted = await waitForStatus(handle, (s) => s.outcome === 'Promoted', 90_000, { env, by: '1h' });
      assert.equal(promoted.kept?.deploymentId, `chat-stable-${id}`);
      assert.equal(promoted.kept.ended, null);
      assert.match(promoted.waitingFor ?? '', /^a revert, or the keep window to end: chat-stable-.* keeps serving for /);
      assert.equal(world.routes.get('chat')?.stable.deployment?.id, `${id}-candidate`, 'the candidate serves as the stable');
      assert.ok(!world.stopped.includes(`chat-stable-${id}`), 'the previous stable still serves');

      const rollback = await command(handle, rollbackSignal, { by: 'ops', reason: 'wrong command' });
      assert.deepEqual([rollback.accepted, rollback.message], [false, 'the rollout was promoted: `revert` goes back to the previous stable']);
      const accepted = await command(handle, revertSignal, { by: 'ops', reason: 'answers got worse' });
      assert.equal(accepted.accepted, true, accepted.message);

      const result = await handle.result();
      assert.equal(result.outcome, 'RolledBack');
      assert.equal(result.reason, 'reverted after promotion by ops: answers got worse');
      const route = world.routes.get('chat');
      assert.equal(route?.stable.deployment?.id, `chat-stable-${id}`, 'the route is back on the previous stable');
      assert.equal(route?.candidate, undefined);
      assert.ok(world.stopped.includes(`${id}-candidate`), 'the promoted server is stopped');
      assert.ok(!world.stopped.includes(`chat-stable-${id}`), 'the previous stable keeps serving');
      assert.equal(result.status.kept?.ended, 'reverted');
      assert.ok(world.notifications.some((n) => n.event === 'rolled-back' && n.level === 'CRITICAL' && /reverted after promotion by ops/.test(n.message)));
      assert.deepEqual(
        result.status.audit.map((a) => `${a.by}:${a.action}`),
        ['release-engineer:start', 'ops:revert'],
      );
    });
  });

  it('stops the previous stable when the window ends without a revert, and refuses one after', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, keeping());
      const id = handle.workflowId;
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
      assert.equal(result.status.kept?.ended, 'released');
      assert.ok(world.stopped.includes(`chat-stable-${id}`), 'the previous stable is stopped after the window');
      assert.ok(!world.stopped.includes(`${id}-candidate`));
      const keptAt = result.status.timeline.find((t) => /keeps serving until/.test(t.message))?.at ?? 0;
      const releasedAt = result.status.timeline.find((t) => /the keep window ended/.test(t.message))?.at ?? 0;
      assert.ok(releasedAt - keptAt >= 2 * 3_600_000, `released ${releasedAt - keptAt} ms after promotion`);
    });
  });
});
