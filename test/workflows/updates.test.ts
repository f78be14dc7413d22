// Operator commands as Temporal Updates, on the real server (the CLI's dev server): the caller learns
// at once whether a command was accepted; a refused or malformed one is rejected by the validator
// and leaves no trace in the history. Expert ratings arrive the same way. The time-skipping test
// server does not run Updates, so this file runs in real time with a spec of seconds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { devServerEnv, teardownEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { startRollout, waitForStatus } from '../helpers/workflow-driver';
import {
  advanceSignal,
  advanceUpdate,
  approveSignal,
  approveUpdate,
  pauseSignal,
  pauseUpdate,
  recordRatingsUpdate,
  resumeSignal,
  resumeUpdate,
  revertSignal,
  revertUpdate,
  rollbackSignal,
  rollbackUpdate,
  statusQuery,
} from '../../src/workflows/messages';
import { qualitySchema } from '../../src/config/quality-spec';
import type { RolloutSpec } from '../../src/config/spec';
import fc from 'fast-check';
import { parseCommand, type CommandName } from '../../src/workflows/commands';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await devServerEnv();
});
after(async () => {
  await teardownEnv(env);
});

/** A rollout of seconds: one canary step of a minute, judged every second. */
function quickSpec(overrides: Partial<RolloutSpec> = {}): RolloutSpec {
  const spec = weeksLongSpec();
  return {
    ...spec,
    qa: undefined,
    shadow: undefined,
    canary: { steps: [{ weight: 50, duration: 60_000, advance: 'auto', onTimeout: 'hold' }] },
    analysis: { ...spec.analysis, interval: 1_000, promote: { ...spec.analysis.promote, minSamples: 1 } },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<{ type: string | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
    assert.ok(error.cause instanceof ApplicationFailure);
    return { type: error.cause.type ?? undefined, message: error.cause.message };
  }
  throw new Error('the update was accepted');
}

describe('operator commands as Updates', () => {
  it('answers at once: accepted commands return their record, refused and malformed ones are rejected without a trace', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, quickSpec());
      await waitForStatus(handle, (s) => s.phase === 'Canary' && s.wait !== null);

      const paused = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'checking dashboards' }] });
      assert.deepEqual([paused.accepted, paused.by, paused.message], [true, 'alice', 'paused by alice']);
      assert.equal((await handle.query(statusQuery)).paused?.by, 'alice', 'applied before the answer came back');

      assert.deepEqual(await rejection(handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob' }] })), { type: 'REFUSED', message: 'already paused by alice' });
      assert.deepEqual(await rejection(handle.executeUpdate(advanceUpdate, { args: [{ by: 'bob' }] })), {
        type: 'REFUSED',
        message: 'the rollout is paused: resume it first',
      });
      assert.deepEqual(await rejection(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'bob' } as unknown as { reason: string }] })), {
        type: 'INVALID_COMMAND',
        message: 'rollback: a "reason" is required',
      });
      assert.deepEqual(await rejection(handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] })), {
        type: 'REFUSED',
        message: 'nothing is waiting for approval',
      });

      const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ by: 'alice' }] });
      assert.equal(resumed.accepted, true);
      await waitForStatus(handle, (s) => s.canaryTotals.candidate.requests > 0, 30_000);
      const advanced = await handle.executeUpdate(advanceUpdate, { args: [{ by: 'alice' }] });
      assert.equal(advanced.message, 'advanced by alice');

      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
      assert.deepEqual(
        result.status.audit.map((a) => `${a.by}:${a.action}`),
        ['release-engineer:start', 'alice:pause', 'alice:resume', 'alice:advance'],
        'only accepted commands are audited',
      );
      assert.ok(
        result.status.commands.every((c) => c.accepted),
        'validators keep refusals out of the state',
      );
      const history = await handle.fetchHistory();
      const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      assert.equal(updates.length, 3, 'three accepted updates in the history, none of the four refused');
    });
  });

  it('refuses random payloads to every command, as Updates (no trace) and as Signals (recorded), and the rollout is unharmed', async (t) => {
    const seed = Number(process.env.GANTRY_FUZZ_SEED ?? Date.now() % 1_000_000);
    t.diagnostic(`fuzz seed ${seed} (rerun with GANTRY_FUZZ_SEED=${seed})`);
    const names: CommandName[] = ['rollback', 'pause', 'resume', 'advance', 'approve', 'revert'];
    // Malformed only: a well-formed pause would (rightly) pause the rollout. 25 stay within the
    // 30 recent commands the status keeps.
    const malformed = fc.tuple(fc.constantFrom(...names), fc.jsonValue({ maxDepth: 3 })).filter(([name, payload]) => !parseCommand(name, payload).ok);
    const cases = fc.sample(malformed, { numRuns: 25, seed });
    const updates = {
      rollback: rollbackUpdate,
      pause: pauseUpdate,
      resume: resumeUpdate,
      advance: advanceUpdate,
      approve: approveUpdate,
      revert: revertUpdate,
    };
    const signals = {
      rollback: rollbackSignal,
      pause: pauseSignal,
      resume: resumeSignal,
      advance: advanceSignal,
      approve: approveSignal,
      revert: revertSignal,
    };
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, quickSpec());
      await waitForStatus(handle, (s) => s.phase === 'Canary' && s.wait !== null);
      for (const [name, payload] of cases) {
        const refused = await rejection(handle.executeUpdate(updates[name] as typeof pauseUpdate, { args: [payload as { by: string }] }));
        assert.equal(refused.type, 'INVALID_COMMAND', `${name} ${JSON.stringify(payload)}: ${refused.message}`);
        assert.ok(!refused.message.includes('\n'), refused.message);
        await handle.signal(signals[name], payload as { by: string });
      }
      const during = await waitForStatus(handle, (s) => s.commands.length === cases.length, 30_000);
      assert.ok(
        during.commands.every((c) => !c.accepted),
        'every malformed signal is recorded as refused',
      );
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
      assert.deepEqual(
        result.status.audit.map((a) => a.action),
        ['start'],
      );
    });
  });

  it('rolls back at once on a rollback update', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, quickSpec());
      await waitForStatus(handle, (s) => s.phase === 'Canary' && s.wait !== null);
      const record = await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'latency alarms' }] });
      assert.equal(record.message, 'rollback requested by oncall: latency alarms');
      const result = await handle.result();
      assert.equal(result.outcome, 'RolledBack');
      assert.equal(result.reason, 'operator rollback by oncall: latency alarms');
      assert.equal(world.routes.get('chat')?.candidate, undefined);
    });
  });
  it('rolls back gradually on a rollback update that asks for it, and refuses one whose length is not a duration', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, quickSpec());
      await waitForStatus(handle, (s) => s.phase === 'Canary' && s.wait !== null);
      assert.deepEqual(await rejection(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'x', kind: 'gradual', over: 'soon' }] })), {
        type: 'INVALID_COMMAND',
        message: 'rollback: "over" must be a duration longer than 0, e.g. "10m"',
      });
      const record = await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'tone', kind: 'gradual', over: '4s' }] });
      assert.equal(record.message, 'rollback requested by oncall: tone');
      const stepping = await waitForStatus(handle, (s) => s.gradualRollback !== null);
      assert.equal(stepping.phase, 'RollingBack');
      assert.deepEqual(stepping.gradualRollback?.levels, [40, 30, 20, 10]);
      const refused = await rejection(handle.executeUpdate(advanceUpdate, { args: [{ by: 'bob' }] }));
      assert.match(refused.message, /^the rollout is rolling back gradually \(at \d+%\): `rollback` finishes it at once$/);
      const result = await handle.result();
      assert.equal(result.outcome, 'RolledBack');
      assert.equal(result.reason, 'operator rollback by oncall: tone');
      assert.equal(result.status.gradualRollback?.done, 4);
      assert.equal(world.routes.get('chat')?.candidate, undefined);
    });
  });
});

describe('expert ratings as an Update', () => {
  const ratingsSpec = (): RolloutSpec =>
    quickSpec({
      canary: { steps: [{ weight: 50, duration: 3_000, advance: 'auto', onTimeout: 'hold' }] },
      quality: qualitySchema.parse({ onInconclusive: 'hold', metrics: [{ name: 'experts', kind: 'ratings', minMean: 4, minN: 4, margin: 0.5 }] }),
    });

  it('holds promotion for the ratings, counts each item once, and promotes once they pass', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, ratingsSpec());
      const held = await waitForStatus(handle, (s) => s.wait?.kind === 'quality-gate', 30_000);
      assert.equal(held.phase, 'Evaluation');
      assert.equal(held.quality?.verdicts[0]?.status, 'NO DATA');

      const bad = await rejection(
        handle.executeUpdate(recordRatingsUpdate, { args: [{ by: 'expert', ratings: [{ itemId: 'p1~x', variant: 'candidate', rating: 9 }] }] }),
      );
      assert.deepEqual(bad, { type: 'INVALID_COMMAND', message: 'recordRatings: ratings[0].rating must be a number from 1 to 5' });

      const ratings = [
        { itemId: 'p1~a', variant: 'candidate' as const, rating: 5 },
        { itemId: 'p2~b', variant: 'candidate' as const, rating: 4 },
        { itemId: 'p3~c', variant: 'candidate' as const, rating: 4 },
        { itemId: 'p4~d', variant: 'stable' as const, rating: 4 },
        { itemId: 'p5~e', variant: 'stable' as const, rating: 4 },
      ];
      const first = await handle.executeUpdate(recordRatingsUpdate, { args: [{ by: 'expert', ratings }] });
      assert.deepEqual([first.accepted, first.duplicates], [5, 0]);
      const again = await handle.executeUpdate(recordRatingsUpdate, { args: [{ by: 'expert', ratings }] });
      assert.deepEqual([again.accepted, again.duplicates], [0, 5], 'an import run twice counts once');
      assert.equal((await handle.query(statusQuery)).quality?.verdicts[0]?.status, 'CONTINUE', 'three candidate ratings: fewer than four');

      await handle.executeUpdate(recordRatingsUpdate, { args: [{ by: 'expert', ratings: [{ itemId: 'p6~f', variant: 'candidate', rating: 5 }] }] });
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
      const verdict = result.status.quality?.verdicts[0];
      assert.equal(verdict?.status, 'PASS');
      assert.match(verdict?.summary ?? '', /^experts: candidate mean rating 4\.50 \[/);
      assert.deepEqual(
        result.status.audit.filter((a) => a.action === 'ratings').map((a) => a.by),
        ['expert', 'expert', 'expert'],
      );
    });
  });
});
