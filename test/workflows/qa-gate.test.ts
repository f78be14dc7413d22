// The QA gate's bands under time skipping: a score in the review band waits for an operator (and
// its timeout applies), below it the artifact is blocked, and the approve band analyses the next
// phase twice as often.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { command, startRollout, waitForStatus } from '../helpers/workflow-driver';
import { advanceSignal, approveSignal } from '../../src/workflows/messages';
import type { RolloutSpec } from '../../src/config/spec';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

const HOUR = 3_600_000;

function gated(approvalTimeout?: number): RolloutSpec {
  const spec = weeksLongSpec();
  const qa = spec.qa;
  assert.ok(qa);
  return {
    ...spec,
    qa: { ...qa, approvalTimeout, onTimeout: 'rollback' },
    shadow: { duration: 6 * HOUR, sampleRate: 1, minPairs: 0 },
    canary: { steps: [{ weight: 50, duration: 6 * HOUR, advance: 'auto', onTimeout: 'hold' }] },
  };
}

describe('QA score bands', () => {
  it('waits at the QA gate in the review band (65–79) until approved, with nothing serving yet', async () => {
    const world = newWorld({ qaAccuracy: 0.9, qaScore: 72 });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, gated());
      const waiting = await waitForStatus(handle, (s) => s.wait?.kind === 'qa-gate', 90_000, { env, by: '1h' });
      assert.equal(waiting.phase, 'QA');
      assert.equal(waiting.waitingFor, 'approval: the QA score is in the review band (72.0)');
      assert.ok(world.notifications.some((n) => n.event === 'gate' && /QA score 72\.0 is in the review band/.test(n.message)));
      await env.sleep('2d');
      assert.ok(!world.calls.some((c) => /^start .*-candidate$/.test(c)), 'no candidate server while the gate waits');
      const refused = await command(handle, advanceSignal, { by: 'ops' });
      assert.match(refused.message, /waiting for approval .*: use approve/);
      assert.equal((await command(handle, approveSignal, { by: 'qa-lead' })).accepted, true);
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
      assert.deepEqual(
        result.status.audit.map((a) => `${a.by}:${a.action}`),
        ['release-engineer:start', 'qa-lead:approve'],
      );
    });
  });

  it('rolls back when the review gate times out with onTimeout: rollback', async () => {
    const world = newWorld({ qaAccuracy: 0.9, qaScore: 70 });
    const result = await withWorkers(env, world, async () => (await startRollout(env, gated(4 * HOUR))).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /^QA gate: approval: the QA score is in the review band \(70\.0\) .*timed out after 4h$/);
  });

  it('blocks below 65 before anything serves users', async () => {
    const world = newWorld({ qaAccuracy: 0.9, qaScore: 50 });
    const result = await withWorkers(env, world, async () => (await startRollout(env, gated())).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /^QA gate failed: .*score 50 \(block\)/);
    assert.ok(!world.calls.some((c) => /^start .*-candidate$/.test(c)));
  });

  it('analyses the next phase twice as often in the approve band (80–94)', async () => {
    const approve = newWorld({ qaAccuracy: 0.9, qaScore: 88 });
    const approved = await withWorkers(env, approve, async () => (await startRollout(env, gated())).result());
    const excellent = newWorld({ qaAccuracy: 1, qaScore: 99 });
    const plain = await withWorkers(env, excellent, async () => (await startRollout(env, gated())).result());
    assert.equal(approved.outcome, 'Promoted');
    assert.equal(plain.outcome, 'Promoted');
    // 6h of shadow analysed every 30 minutes, then 6h of canary hourly: 12 + 6, against 6 + 6 (each
    // of the two phases may add a short closing window when activities ran late on a loaded machine).
    const within = (n: number, expected: number): boolean => n >= expected && n <= expected + 2;
    assert.ok(within(approved.status.analyses, 18), `approve band: ${approved.status.analyses} analyses`);
    assert.ok(within(plain.status.analyses, 12), `excellent band: ${plain.status.analyses} analyses`);
  });
});

describe('quantization loss and the artifact record', () => {
  const withLossGate = (): RolloutSpec => {
    const spec = gated();
    const quantize = spec.candidate.quantize;
    assert.ok(quantize);
    return {
      ...spec,
      candidate: { ...spec.candidate, quantize: { ...quantize, loss: { corpus: '/corpus.txt', contextSize: 128, maxKldMean: 0.05, minSameTop: 0.85 } } },
    };
  };

  it('measures the artifact against its source before QA, and rolls back over the limits before anything serves', async () => {
    const world = newWorld({
      quantLoss: { measured: true, kldMean: 0.469, kldP99: 1.874, sameTop: 0.633, pplArtifact: 33.7, pplSource: 20.3, pplRatio: 1.66 },
    });
    const result = await withWorkers(env, world, async () => (await startRollout(env, withLossGate())).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.equal(result.reason, 'quantization loss over the limits: mean KLD 0.469 > 0.05; same top token 63.3% < 85.0%');
    assert.equal(result.status.quantLoss?.verdict.passed, false);
    assert.ok(world.calls.indexOf('quantize /models/candidate-f16.gguf Q8_0') < world.calls.findIndex((c) => c.startsWith('measure loss')));
    assert.ok(!world.calls.some((c) => /^start .*-(qa|candidate)$/.test(c)), `no artifact served: ${world.calls.join(', ')}`);
    const [note] = world.annotations;
    assert.equal(note?.outcome?.result, 'RolledBack');
    assert.equal(note?.quantLossVerdict?.passed, false);
  });

  it('goes on within the limits, and the record learns the QA report and the outcome', async () => {
    const world = newWorld();
    const result = await withWorkers(env, world, async () => (await startRollout(env, withLossGate())).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.match(result.status.quantLoss?.verdict.summary ?? '', /^mean KLD 0\.003, .* within the limits$/);
    assert.equal(world.annotations.length, 1);
    const [note] = world.annotations;
    assert.equal(note?.record, `/artifacts/${result.status.rolloutId}/model.Q8_0.gguf.gantry.json`);
    assert.deepEqual([note?.outcome?.result, note?.qa?.decision, note?.quantLossVerdict?.passed], ['Promoted', 'pass', true]);
  });

  it('an unmeasurable loss is noted and the rollout goes on', async () => {
    const world = newWorld({ quantLoss: { measured: false, reason: "the source's and the artifact's vocabularies differ" } });
    const result = await withWorkers(env, world, async () => (await startRollout(env, withLossGate())).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.ok(result.status.timeline.some((t) => /quantization loss not measured: the source's and the artifact's vocabularies differ/.test(t.message)));
  });
});
