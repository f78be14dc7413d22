// No promotion past a failing metric, and answer quality on by default: a FAIL that does not roll
// back (a metric that is not critical, answers that differ beyond the noise floor with nothing to
// say they are not worse) holds promotion for an operator; `onInconclusive` holds by default; a
// spec without `quality:` gets the default block; the route's noise floor is recorded at the end
// and read by the next rollout. Activities are the fakes; time is skipped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { command, startRollout, waitForStatus } from '../helpers/workflow-driver';
import { approveSignal, recordRatingsUpdate, statusQuery } from '../../src/workflows/messages';
import { rolloutSpecSchema, type RolloutSpec, type RolloutSpecInput } from '../../src/config/spec';
import { qualitySchema, type QualitySpecInput } from '../../src/config/quality-spec';
import type { PairTotals } from '../../src/analysis/quality/quality-totals';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

const DAY = 24 * 3_600_000;

function short(overrides: Partial<RolloutSpec> = {}): RolloutSpec {
  const spec = weeksLongSpec();
  return {
    ...spec,
    qa: undefined,
    shadow: { duration: 2 * DAY, sampleRate: 1, minPairs: 0 },
    canary: { steps: [{ weight: 50, duration: 2 * DAY, advance: 'auto', onTimeout: 'hold' }] },
    ...overrides,
  };
}
const withQuality = (quality: QualitySpecInput): RolloutSpec => short({ quality: qualitySchema.parse(quality) });
const likelihood = (scored: number, worse: number): PairTotals['likelihood'] => ({ scored, worse, failed: 0, deltaSum: -worse, lastError: null });

describe('no promotion past a failing metric', () => {
  it('a metric that is not critical never rolls back, but its FAIL where a phase ends holds for approve, naming the evidence', async () => {
    // Every batch: 20 pairs, 4 where the candidate fails and the stable does not.
    const world = newWorld({
      pairBatch: () => ({ shadow: { pairs: 20, worse: 4, equivalent: 16 }, canary: {}, floor: { pairs: 5, equivalent: 5 }, scored: 20 }),
    });
    const spec = withQuality({ onInconclusive: 'promote', metrics: [{ name: 'advisory-failures', kind: 'failures', critical: false, minN: 40 }] });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      const held = await waitForStatus(handle, (s) => s.wait?.kind === 'quality-gate', 90_000, { env, by: '6h' });
      assert.equal(held.phase, 'Shadow');
      const verdict = held.quality?.verdicts[0];
      assert.deepEqual([verdict?.status, verdict?.failEffect], ['FAIL', 'hold']);
      assert.ok(held.timeline.some((t) => /^quality at the end of the shadow phase fails \(advisory-failures: candidate-only failures/.test(t.message)));
      const note = world.notifications.find((n) => n.event === 'gate' && n.level === 'CRITICAL');
      assert.match(
        note?.message ?? '',
        /quality fails at the end of the shadow phase: advisory-failures: .*Not promoted: review the disagreeing pairs \(gantry pairs export .* --disagreements\)/,
      );
      await env.sleep('3d');
      assert.equal((await waitForStatus(handle, () => true)).weight, 0, 'held: onInconclusive: promote does not let a FAIL through');
      assert.equal((await command(handle, approveSignal, { by: 'lead' })).accepted, true);
      await waitForStatus(handle, (s) => s.wait?.kind === 'quality-gate' && s.phase === 'Evaluation', 90_000, { env, by: '6h' });
      assert.equal((await command(handle, approveSignal, { by: 'lead' })).accepted, true);
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', 'an operator may take the risk, on the record');
      assert.deepEqual(
        result.status.audit.map((a) => `${a.by}:${a.action}`),
        ['release-engineer:start', 'lead:approve', 'lead:approve'],
      );
    });
  });

  it('an informational metric FAILs on the record and holds nothing', async () => {
    const world = newWorld({ pairBatch: () => ({ shadow: { pairs: 20, worse: 4, equivalent: 16 }, canary: {}, scored: 20 }) });
    const spec = withQuality({ metrics: [{ name: 'just-looking', kind: 'failures', critical: false, informational: true, minN: 40 }] });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec)).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.deepEqual([result.status.quality?.verdicts[0]?.status, result.status.quality?.verdicts[0]?.failEffect], ['FAIL', 'inform']);
  });

  it('onInconclusive holds by default: a critical metric still short of evidence waits for approve', async () => {
    const world = newWorld({ pairBatch: () => ({ shadow: { pairs: 2 }, canary: {}, scored: 2 }) });
    const spec = withQuality({ metrics: [{ name: 'candidate-failures', kind: 'failures', minN: 10_000 }] });
    assert.equal(spec.quality?.onInconclusive, 'hold');
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      const held = await waitForStatus(handle, (s) => s.wait?.kind === 'quality-gate', 90_000, { env, by: '6h' });
      assert.equal(held.quality?.verdicts[0]?.status, 'CONTINUE');
      assert.ok(
        world.notifications.some((n) => n.event === 'gate' && n.level === 'WARNING' && /quality inconclusive at the end of the shadow phase/.test(n.message)),
      );
      await handle.terminate('test over');
    });
  });
});

describe('answers that differ beyond the noise floor', () => {
  // A greedy route: the stable's A/A pairs are all equivalent. The candidate agrees with it on 60%.
  const differing = (candidateWorse: number) =>
    newWorld({
      pairBatch: () => ({
        shadow: { pairs: 50, equivalent: 30, likelihood: likelihood(50, candidateWorse) },
        canary: {},
        floor: { pairs: 20, equivalent: 20, likelihood: likelihood(20, 0) },
        scored: 50,
      }),
    });
  const metrics = [
    { name: 'equivalent-or-better', kind: 'equivalence' as const },
    { name: 'likelihood', kind: 'likelihood' as const },
  ];

  it('are explained when the likelihood judge finds them no worse: Promoted', async () => {
    const world = differing(0);
    const result = await withWorkers(env, world, async () => (await startRollout(env, withQuality({ metrics }))).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    const [equivalence, judge] = result.status.quality?.verdicts ?? [];
    assert.equal(equivalence?.status, 'PASS');
    assert.match(equivalence?.summary ?? '', /differs beyond the floor, explained: likelihood passes$/);
    assert.equal(judge?.status, 'PASS');
  });

  it("roll back when the likelihood judge finds the candidate's answers worse", async () => {
    const world = differing(20);
    const result = await withWorkers(env, world, async () => (await startRollout(env, withQuality({ metrics }))).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.match(
      result.reason,
      /^shadow analysis: quality likelihood: candidate answers the stable finds much less likely, or owing much less to the question .*: significantly more than the floor allows$/,
    );
    assert.ok(!world.calls.some((c) => /weight=[1-9]/.test(c)), 'before any user saw the candidate');
  });

  it('hold, never promote, when nothing can say whether they are worse', async () => {
    const world = differing(0);
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, withQuality({ onInconclusive: 'promote', metrics: [metrics[0]!] }));
      const held = await waitForStatus(handle, (s) => s.wait?.kind === 'quality-gate', 90_000, { env, by: '6h' });
      assert.deepEqual([held.quality?.verdicts[0]?.status, held.quality?.verdicts[0]?.failEffect], ['FAIL', 'hold']);
      assert.match(held.quality?.verdicts[0]?.summary ?? '', /floor 100\.0% .* over \d+ A\/A pairs, margin 10\.0 points: differs beyond the floor$/);
      await handle.terminate('test over');
    });
  });
});

describe("a hold settled by the experts' review of the disagreeing pairs", () => {
  const held = () =>
    newWorld({
      pairBatch: () => ({ shadow: { pairs: 50, equivalent: 30 }, canary: {}, floor: { pairs: 20, equivalent: 20 }, scored: 50 }),
    });
  const rated = (variant: 'stable' | 'candidate', rating: number, from: number) =>
    Array.from({ length: 20 }, (_, i) => ({ itemId: `p${from + i}~${variant}`, variant, rating }));
  const spec = () => withQuality({ metrics: [{ name: 'equivalent-or-better', kind: 'equivalence' }] });

  it("answers rated no worse than the stable's release it", async () => {
    const world = held();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec());
      await waitForStatus(handle, (s) => s.wait?.kind === 'quality-gate', 90_000, { env, by: '6h' });
      await handle.executeUpdate(recordRatingsUpdate, { args: [{ by: 'expert', ratings: [...rated('stable', 4, 0), ...rated('candidate', 4, 100)] }] });
      await waitForStatus(handle, (s) => s.phase !== 'Shadow', 90_000, { env, by: '1h' });
      const status = await handle.query(statusQuery);
      assert.ok(status.timeline.some((t) => /^quality hold released by the experts' review: expert-review: candidate mean rating 4\.00/.test(t.message)));
      await handle.terminate('test over');
    });
  });

  it('answers rated worse roll it back, quoting the ratings', async () => {
    const world = held();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec());
      await waitForStatus(handle, (s) => s.wait?.kind === 'quality-gate', 90_000, { env, by: '6h' });
      await handle.executeUpdate(recordRatingsUpdate, { args: [{ by: 'expert', ratings: [...rated('stable', 5, 0), ...rated('candidate', 2, 100)] }] });
      await env.sleep('2h');
      const result = await handle.result();
      assert.equal(result.outcome, 'RolledBack');
      assert.match(result.reason, /quality hold reviewed: expert-review: candidate mean rating 2\.00 .* worse than the stable/);
    });
  });
});

describe('quality on by default', () => {
  const parsed = (extra: Partial<RolloutSpecInput>): RolloutSpec =>
    rolloutSpecSchema.parse({
      name: 'demo',
      route: 'chat',
      stable: { model: '/models/stable.gguf' },
      candidate: { model: '/models/candidate.gguf' },
      shadow: { duration: '2d', minPairs: 0 },
      canary: { steps: [{ weight: 50, duration: '2d' }] },
      analysis: { interval: '1h' },
      ...extra,
    });

  it('a spec without quality: gets failures, equivalence against the floor and the likelihood judge, all critical', async () => {
    const spec = parsed({});
    assert.deepEqual(
      spec.quality?.metrics.map((m) => [m.name, m.kind, m.critical]),
      [
        ['candidate-failures', 'failures', true],
        ['equivalent-or-better', 'equivalence', true],
        ['likelihood', 'likelihood', true],
      ],
    );
    assert.equal(spec.quality?.aaRate, 0.1);
    const world = newWorld({
      pairBatch: () => ({
        shadow: { pairs: 60, equivalent: 60, likelihood: likelihood(60, 0) },
        canary: {},
        floor: { pairs: 10, equivalent: 10, likelihood: likelihood(10, 0) },
        scored: 60,
      }),
    });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec)).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.deepEqual(
      result.status.quality?.verdicts.map((v) => [v.name, v.status]),
      [
        ['candidate-failures', 'PASS'],
        ['equivalent-or-better', 'PASS'],
        ['likelihood', 'PASS'],
      ],
    );
    assert.ok(world.calls.some((c) => /^route chat weight=0 shadow=1/.test(c)));
  });

  it('an external stable gets no likelihood judge (it cannot score), and `quality: off` opts out, saying so', async () => {
    const external = parsed({ stable: { endpoint: 'https://api.example.com/v1' } });
    assert.deepEqual(
      external.quality?.metrics.map((m) => m.kind),
      ['failures', 'equivalence'],
    );
    const off = parsed({ quality: 'off' });
    assert.deepEqual([off.quality, off.qualityOff], [undefined, true]);
    const result = await withWorkers(env, newWorld(), async () => (await startRollout(env, off)).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.equal(result.status.quality, null);
    assert.ok(result.status.timeline.some((t) => /^quality: off \(the spec says so\)/.test(t.message)));
  });
});

describe("the route's noise floor", () => {
  it('is recorded when a rollout ends, and the next rollout on the route starts from it', async () => {
    const world = newWorld({ pairBatch: () => ({ shadow: { pairs: 10, equivalent: 10 }, canary: {}, floor: { pairs: 4, equivalent: 4 }, scored: 10 }) });
    const spec = withQuality({ onInconclusive: 'promote', metrics: [{ name: 'equivalent-or-better', kind: 'equivalence', minN: 10 }] });
    await withWorkers(env, world, async () => {
      const first = await (await startRollout(env, spec)).result();
      const recorded = world.floors.get('chat');
      assert.equal(recorded?.pairs, first.status.quality?.totals.floor?.pairs);
      assert.ok((recorded?.pairs ?? 0) > 0);
      world.pairBatches = 0;
      const second = await (await startRollout(env, spec)).result();
      assert.equal(second.status.quality?.floorPrior?.pairs, recorded?.pairs, 'read at the start');
      assert.ok(second.status.timeline.some((t) => /the route's noise floor starts from \d+ A\/A pairs recorded by earlier rollouts/.test(t.message)));
      assert.equal(world.floors.get('chat')?.pairs, (recorded?.pairs ?? 0) + (second.status.quality?.totals.floor?.pairs ?? 0));
    });
  });
});
