// Every operator command in every phase where the rollout can be caught, under time skipping.
// Evaluation is pure computation with no await, so no command can arrive during it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld, type FakeWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { command, startRollout, waitForStatus } from '../helpers/workflow-driver';
import { advanceSignal, approveSignal, pauseSignal, resumeSignal, rollbackSignal, statusQuery } from '../../src/workflows/messages';
import type { RolloutStatus } from '../../src/workflows/state/status-view';
import type { RolloutSpec } from '../../src/config/spec';
import type { SignalDefinition } from '@temporalio/workflow';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

/** hold: keep that activity running; skip: reach the phase by skipping this much simulated time per look */
type PhaseCase = { name: string; hold?: 'qa' | 'quantize' | 'deploy'; skip?: string; reached: (s: RolloutStatus) => boolean; spec?: () => RolloutSpec };
type CommandCase = { name: string; signal: SignalDefinition<[object]>; payload: object };

// Twelve-hourly analysis keeps the 35 rollouts of this table quick; the rules are the same.
const tableSpec = (): RolloutSpec => {
  const spec = weeksLongSpec();
  return { ...spec, analysis: { ...spec.analysis, interval: 12 * 3_600_000 } };
};
const gatedSpec = (): RolloutSpec => {
  const spec = tableSpec();
  return { ...spec, canary: { steps: spec.canary.steps.map((s, i) => (i === 1 ? { ...s, advance: 'manual' as const } : s)) } };
};
const promotionGateSpec = (): RolloutSpec => ({ ...tableSpec(), promotion: { requireApproval: true, onTimeout: 'hold' } });

const phases: PhaseCase[] = [
  { name: 'QA', hold: 'qa', reached: (s) => s.phase === 'QA' },
  { name: 'Quantize', hold: 'quantize', reached: (s) => s.phase === 'Quantize' },
  { name: 'Deploy', hold: 'deploy', reached: (s) => s.phase === 'Deploy' },
  { name: 'Shadow', reached: (s) => s.phase === 'Shadow' && s.wait !== null },
  { name: 'Canary step', skip: '6h', reached: (s) => s.phase === 'Canary' && s.step === 1 && s.wait?.kind === 'soak' },
  { name: 'step approval gate', skip: '6h', spec: gatedSpec, reached: (s) => s.wait?.kind === 'gate' },
  { name: 'promotion approval gate', skip: '12h', spec: promotionGateSpec, reached: (s) => s.wait?.kind === 'promotion-gate' },
];

const commands: CommandCase[] = [
  { name: 'rollback', signal: rollbackSignal, payload: { reason: 'bad tone in answers', by: 'ops' } },
  { name: 'pause', signal: pauseSignal, payload: { by: 'ops', reason: 'incident elsewhere' } },
  { name: 'resume', signal: resumeSignal, payload: { by: 'ops' } },
  { name: 'advance', signal: advanceSignal, payload: { by: 'ops' } },
  { name: 'approve', signal: approveSignal, payload: { by: 'lead' } },
];

// expected: accepted?, then the outcome once the rollout is let go (paused ones are resumed first)
const expected: Record<string, Record<string, [boolean, 'Promoted' | 'RolledBack', RegExp?]>> = {
  QA: {
    rollback: [true, 'RolledBack'],
    pause: [true, 'Promoted'],
    resume: [false, 'Promoted', /not paused/],
    advance: [false, 'Promoted', /in QA, not waiting/],
    approve: [false, 'Promoted', /nothing is waiting for approval/],
  },
  Quantize: {
    rollback: [true, 'RolledBack'],
    pause: [true, 'Promoted'],
    resume: [false, 'Promoted'],
    advance: [false, 'Promoted', /in Quantize, not waiting/],
    approve: [false, 'Promoted'],
  },
  Deploy: {
    rollback: [true, 'RolledBack'],
    pause: [true, 'Promoted'],
    resume: [false, 'Promoted'],
    advance: [false, 'Promoted', /in Deploy, not waiting/],
    approve: [false, 'Promoted'],
  },
  Shadow: {
    rollback: [true, 'RolledBack'],
    pause: [true, 'Promoted'],
    resume: [false, 'Promoted'],
    advance: [false, 'Promoted', /has 0 of the 500 pairs it requires: advance with force/],
    approve: [false, 'Promoted'],
  },
  'Canary step': {
    rollback: [true, 'RolledBack'],
    pause: [true, 'Promoted'],
    resume: [false, 'Promoted'],
    advance: [true, 'Promoted', /advanced by ops/],
    approve: [false, 'Promoted'],
  },
  'step approval gate': {
    rollback: [true, 'RolledBack'],
    pause: [true, 'Promoted'],
    resume: [false, 'Promoted'],
    advance: [false, 'Promoted', /waiting for approval .*: use approve/],
    approve: [true, 'Promoted', /approved by lead/],
  },
  'promotion approval gate': {
    rollback: [true, 'RolledBack'],
    pause: [true, 'Promoted'],
    resume: [false, 'Promoted'],
    advance: [false, 'Promoted', /use approve/],
    approve: [true, 'Promoted'],
  },
};

describe('operator commands in every phase', () => {
  for (const phase of phases) {
    for (const cmd of commands) {
      const [accepted, outcome, message] = expected[phase.name]?.[cmd.name] ?? [false, 'Promoted'];
      it(`${cmd.name} during ${phase.name}: ${accepted ? 'accepted' : 'refused'}, ends ${outcome}`, async () => {
        const world: FakeWorld = newWorld();
        if (phase.hold) world.hold.add(phase.hold);
        await withWorkers(env, world, async () => {
          const handle = await startRollout(env, phase.spec?.() ?? tableSpec());
          // A held phase is reached once its activity is actually running (not merely scheduled).
          await waitForStatus(
            handle,
            (st) => phase.reached(st) && (!phase.hold || world.holding.has(phase.hold)),
            30_000,
            phase.skip ? { env, by: phase.skip } : undefined,
          );
          const record = await command(handle, cmd.signal, cmd.payload);
          assert.equal(record.accepted, accepted, record.message);
          if (message) assert.match(record.message, message);
          if (cmd.name === 'pause' && accepted) {
            const paused = await handle.query(statusQuery);
            assert.equal(paused.paused?.by, 'ops');
            assert.match(paused.waitingFor ?? '', /^resume \(paused by ops\)/);
            world.hold.clear();
            // held or soaking, a paused rollout does not move on
            await env.sleep('3d');
            assert.equal((await handle.query(statusQuery)).phase, paused.phase);
            assert.equal((await command(handle, resumeSignal, { by: 'ops' })).accepted, true);
          }
          world.hold.clear();
          // approval gates need an approve to finish a promoted rollout
          if (outcome === 'Promoted' && phase.spec && !(cmd.name === 'approve' && accepted)) {
            await waitForStatus(handle, (s) => s.wait?.endsOn === 'approve' && !s.paused, 30_000, { env, by: '12h' });
            await command(handle, approveSignal, { by: 'lead' });
          }
          const result = await handle.result();
          assert.equal(result.outcome, outcome, result.reason);
          if (cmd.name === 'rollback') {
            assert.equal(result.reason, 'operator rollback by ops: bad tone in answers');
            assert.equal(world.routes.get('chat')?.candidate, undefined);
            assert.ok(!world.holding.size, 'held activities were cancelled');
          }
          const audited = result.status.audit.some((a) => a.action === cmd.name && a.by === (cmd.payload as { by: string }).by);
          assert.equal(audited, accepted, 'accepted commands, and only those, are in the audit log');
          assert.ok(world.schedulesDeleted.includes(result.status.rolloutId), "the rollout's schedules are removed when it ends");
        });
      });
    }
  }
});
