// Alert tiers and rollback kinds on the time-skipping test server. Built-in rules with a severity:
// a warning is said (and may pause), an emergency rolls back at the first failure. Gradual
// rollbacks: the candidate's weight stepped down level by level while every interval is still
// judged; an emergency or an operator's rollback cuts it short.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld, healthyTraffic, type FakeWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { pauseSignal, resumeSignal, rollbackSignal, statusQuery } from '../../src/workflows/messages';
import { command, startRollout } from '../helpers/workflow-driver';
import type { RolloutSpec } from '../../src/config/spec';
import type { RolloutStatus } from '../../src/workflows/state/status-view';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

/** weeksLongSpec's steps and rules in days rather than weeks: a shadow day, then steps of 12 h (a day at 50%). */
const daysSpec = (overrides: Partial<Parameters<typeof weeksLongSpec>[0]> = {}): RolloutSpec =>
  weeksLongSpec({
    shadow: { duration: '1d', sampleRate: 1, minPairs: 500 },
    canary: {
      steps: [
        { weight: 1, duration: '12h' },
        { weight: 5, duration: '12h' },
        { weight: 25, duration: '12h' },
        { weight: 50, duration: '1d' },
        { weight: 100, duration: '12h' },
      ],
    },
    ...overrides,
  });
const gradualSpec = (overrides: Partial<Parameters<typeof weeksLongSpec>[0]> = {}): RolloutSpec =>
  daysSpec({ rollbackPolicy: { kind: 'gradual', over: '4h', steps: 3 }, ...overrides });

/** A candidate that fails a third of its requests from the 50% step on, and goes on failing at lower weights. */
function failingFromHalf(extra: (route: Parameters<FakeWorld['traffic']>[0], failing: boolean) => { breakerOpen?: string } = () => ({})): FakeWorld['traffic'] {
  const healthy = healthyTraffic();
  let failing = false;
  return (route, index) => {
    const shape = healthy(route, index);
    failing ||= (route?.weight ?? 0) >= 50;
    if (failing) shape.candidate.errors = Math.round(shape.candidate.requests / 3);
    return { ...shape, ...extra(route, failing) };
  };
}

/** The candidate weights the route was given, in order, without repeats. */
const weightsSet = (world: FakeWorld): number[] =>
  world.calls
    .filter((c) => c.startsWith('route chat') && c.includes('candidate=yes'))
    .map((c) => Number(/weight=([\d.]+)/.exec(c)?.[1]))
    .filter((w, i, all) => i === 0 || all[i - 1] !== w);

/** Skips simulated time `by` at a time until the status is `done`. */
async function until(
  handle: { query: (q: typeof statusQuery) => Promise<RolloutStatus> },
  done: (s: RolloutStatus) => boolean,
  by: string,
): Promise<RolloutStatus> {
  for (let polls = 0; polls < 200; polls++) {
    const status = await handle.query(statusQuery);
    if (done(status)) return status;
    if (status.outcome) throw new Error(`ended ${status.outcome} first: ${status.reason ?? ''}`);
    await env.sleep(by);
  }
  throw new Error('never reached the awaited state');
}

describe('gradual rollback', () => {
  it("steps a failing candidate's weight down over the policy's time, judged all the way, then detaches it", async () => {
    const world = newWorld({ traffic: failingFromHalf() });
    const result = await withWorkers(env, world, async () => (await startRollout(env, gradualSpec())).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /^canary step 4 \(50%\): candidate error rate 33\.3%/);
    assert.deepEqual(weightsSet(world).slice(-4), [50, 37.5, 25, 12.5], 'down through three levels from 50%');
    const plan = result.status.gradualRollback;
    assert.deepEqual(plan && { by: plan.by, levels: plan.levels, holdMs: plan.holdMs, done: plan.done }, {
      by: 'spec',
      levels: [37.5, 25, 12.5],
      holdMs: 80 * 60_000,
      done: 3,
    });
    // Every level was judged, and its failures recorded without ending anything early.
    for (const weight of [37.5, 25, 12.5]) {
      const judged = world.intervals.filter((e) => e.phase === 'RollingBack' && e.weight === weight);
      assert.ok(
        judged.length >= 1 && judged.every((e) => e.verdict === 'Fail' && e.breach === null),
        `${weight}%: ${JSON.stringify(judged.map((e) => e.verdict))}`,
      );
    }
    // Weight 0 and the candidate's server stopped only after the last level.
    const route = world.routes.get('chat');
    assert.equal(route?.candidate, undefined);
    const lastLevel = world.calls.findIndex((c) => c.startsWith('route chat weight=12.5'));
    const detached = world.calls.lastIndexOf('route chat weight=0 shadow=0 candidate=no');
    const stopped = world.calls.indexOf(`stop ${result.status.rolloutId}-candidate`);
    assert.ok(lastLevel >= 0 && lastLevel < detached && detached < stopped, world.calls.slice(-6).join(' | '));
    const alert = world.notifications.find((n) => n.message.startsWith('rolling back gradually'));
    assert.equal(alert?.level, 'CRITICAL');
    assert.match(alert.message, /over 4h \(37\.5% → 25% → 12\.5% → 0%\)/);
    assert.ok(result.status.timeline.some((t) => /roll back gradually \(asked by spec\): 50% → 37\.5% → 25% → 12\.5% → 0%, 1h20m each/.test(t.message)));
  });

  it('rolls back at once when the breaker trips during the step-down', async () => {
    // The breaker opens once the candidate is down to 25%: an emergency, whatever the policy says.
    const world = newWorld({
      traffic: failingFromHalf((route, failing) =>
        failing && route?.weight === 25 ? { breakerOpen: "circuit breaker open: 12 of the candidate's last 20 requests failed (limit 50%)" } : {},
      ),
    });
    const result = await withWorkers(env, world, async () => (await startRollout(env, gradualSpec())).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /; the gradual rollback was cut short: circuit breaker open: 12 of the candidate's last 20 requests failed/);
    assert.equal(result.status.gradualRollback?.done, 1, 'the 37.5% level was held, the 25% one cut short');
    assert.ok(!weightsSet(world).includes(12.5));
    assert.equal(world.routes.get('chat')?.candidate, undefined);
  });

  it('never steps down after an emergency: a breaker trip rolls back at once under a gradual policy', async () => {
    const healthy = healthyTraffic();
    const world = newWorld({
      traffic: (route, index) => ({
        ...healthy(route, index),
        ...((route?.weight ?? 0) >= 25 ? { breakerOpen: "circuit breaker open: 10 of the candidate's last 20 requests failed (limit 50%)" } : {}),
      }),
    });
    const result = await withWorkers(env, world, async () => (await startRollout(env, gradualSpec())).result());
    assert.equal(result.reason, "canary step 3 (25%): circuit breaker open: 10 of the candidate's last 20 requests failed (limit 50%)");
    assert.ok(
      world.notifications.some(
        (n) => n.level === 'EMERGENCY' && n.message === "rolling back at once: circuit breaker open: 10 of the candidate's last 20 requests failed (limit 50%)",
      ),
      JSON.stringify(world.notifications),
    );
    assert.equal(result.status.gradualRollback, null);
    assert.deepEqual(weightsSet(world), [0, 1, 5, 25]);
    assert.ok(result.status.timeline.some((t) => t.message.startsWith('an emergency rolls back at once, not gradually')));
  });

  it("takes an operator's gradual rollback over a spec that rolls back at once, and a second rollback finishes it now", async () => {
    const world = newWorld();
    const result = await withWorkers(env, world, async () => {
      const handle = await startRollout(env, daysSpec());
      await until(handle, (s) => s.phase === 'Canary' && s.step === 4, '3h');
      await handle.signal(rollbackSignal, { by: 'alice', reason: 'tone complaints', kind: 'gradual', over: '3h' });
      const stepping = await until(handle, (s) => s.gradualRollback?.done === 1, '30m');
      assert.equal(stepping.phase, 'RollingBack');
      assert.match(stepping.waitingFor ?? '', /^the gradual rollback: 60% \(level 2 of 4\), 0% in /);
      await handle.signal(rollbackSignal, { by: 'bob', reason: 'enough', kind: 'immediate' });
      return handle.result();
    });
    assert.equal(result.outcome, 'RolledBack');
    assert.equal(result.reason, 'operator rollback by alice: tone complaints; the gradual rollback was finished at once by bob: enough');
    const plan = result.status.gradualRollback;
    assert.deepEqual(plan && [plan.by, plan.levels, plan.holdMs], ['alice', [80, 60, 40, 20], 2_700_000]);
    assert.deepEqual(weightsSet(world).slice(-3), [100, 80, 60]);
    assert.equal(world.routes.get('chat')?.weight, 0);
    assert.deepEqual(
      result.status.commands.map((c) => [c.by, c.accepted]),
      [
        ['alice', true],
        ['bob', true],
      ],
    );
  });

  it('does not let a pause hold a rollback that was decided: the step-down ends the pause and goes on', async () => {
    const healthy = healthyTraffic();
    let failing = false; // from the pause on
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        if (failing) shape.candidate.errors = Math.round(shape.candidate.requests / 3);
        return shape;
      },
    });
    const result = await withWorkers(env, world, async () => {
      const handle = await startRollout(env, gradualSpec());
      await until(handle, (s) => s.phase === 'Canary' && s.step === 3, '3h');
      await command(handle, pauseSignal, { by: 'alice', reason: 'looking at the dashboards' });
      failing = true;
      return handle.result(); // analysis goes on while paused: the failing candidate is rolled back
    });
    assert.equal(result.outcome, 'RolledBack');
    assert.equal(result.status.gradualRollback?.done, 3);
    assert.ok(result.status.timeline.some((t) => t.message.startsWith('the pause by alice ends: the rollback goes on')));
  });

  it('carries a step-down across continue-as-new', async () => {
    const world = newWorld({ traffic: failingFromHalf() });
    const spec = gradualSpec({ rollbackPolicy: { kind: 'gradual', over: '2d', steps: 2 } });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec, { historyLimit: 400 })).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.equal(result.status.gradualRollback?.done, 2);
    assert.ok(result.status.runs > 1, `runs: ${result.status.runs}`);
    assert.deepEqual(weightsSet(world).slice(-3), [50, 33.3, 16.7]);
    const during = world.intervals.filter((e) => e.weight === 33.3 || e.weight === 16.7);
    assert.ok(during.length >= 46, `a day at each level, judged hourly: ${during.length}`);
  });
});

/** The spec's rules, with severities. */
function withSeverities(spec: RolloutSpec, severity: RolloutSpec['analysis']['rollback']['severity'], pauseOnWarning = false): RolloutSpec {
  return { ...spec, analysis: { ...spec.analysis, rollback: { ...spec.analysis.rollback, severity, pauseOnWarning } } };
}

/** A candidate that answers in 500 ms (2.5× the stable) during the 5% step only. */
function slowAtFivePercent(): FakeWorld['traffic'] {
  const healthy = healthyTraffic();
  return (route, index) => {
    const shape = healthy(route, index);
    if (route?.weight === 5) shape.candidate.latencyMs = 500;
    return shape;
  };
}

describe('built-in rules with severities', () => {
  it('says a failing warning rule once per streak, and promotes', async () => {
    const world = newWorld({ traffic: slowAtFivePercent() });
    const spec = withSeverities(daysSpec(), { maxP95Ratio: 'warning' });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec)).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    const atFive = world.intervals.filter((e) => e.weight === 5 && e.phase === 'Canary');
    assert.ok(atFive.length >= 10 && atFive.every((e) => e.verdict === 'Pass'), JSON.stringify(atFive.map((e) => e.verdict)));
    assert.match(atFive[0]?.summary ?? '', /no rule that acts failed; warning: candidate p95 539ms vs stable 208ms \(max 2×\) \(severity warning\)/);
    const warnings = world.notifications.filter((n) => n.level === 'WARNING' && n.message.startsWith('warning: candidate p95'));
    assert.equal(warnings.length, 1, 'one notification for the whole streak');
  });

  it('pauses on a failing warning rule with pauseOnWarning, and goes on once resumed', async () => {
    const world = newWorld({ traffic: slowAtFivePercent() });
    const spec = withSeverities(daysSpec(), { maxP95Ratio: 'warning' }, true);
    const result = await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      const paused = await until(handle, (s) => s.paused !== null, '6h');
      assert.equal(paused.paused?.by, 'gantry');
      assert.match(paused.paused?.reason ?? '', /^warning: candidate p95 539ms vs stable 208ms \(max 2×\) \(severity warning\)$/);
      assert.equal(paused.weight, 5);
      await command(handle, resumeSignal, { by: 'alice' });
      return handle.result();
    });
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.ok(world.notifications.some((n) => n.event === 'paused' && n.level === 'WARNING'));
  });

  it('rolls back at the first failure of an emergency rule, at once under a gradual policy, and alerts EMERGENCY', async () => {
    const healthy = healthyTraffic();
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        if ((route?.weight ?? 0) >= 25) shape.candidate.errors = Math.round(shape.candidate.requests / 3);
        return shape;
      },
    });
    const spec = withSeverities(gradualSpec(), { maxErrorRate: 'emergency' });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec)).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.equal(
      result.reason,
      'canary step 3 (25%): candidate error rate 33.3% (max 10.0%) (severity emergency); candidate error rate 33.3% vs stable 0.0% (max 2× or 1.0%)',
    );
    assert.equal(result.status.consecutiveFailures, 1, 'failureLimit 2 did not apply');
    assert.equal(result.status.gradualRollback, null);
    assert.ok(world.notifications.some((n) => n.level === 'EMERGENCY' && n.message.startsWith('rolling back at once: candidate error rate 33.3%')));
  });

  it('cuts a gradual rollback short when an emergency rule fails during it', async () => {
    // Rolled back gradually for latency at 50% (critical); errors from the 25% level on (emergency).
    const healthy = healthyTraffic();
    let slow = false;
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        slow ||= (route?.weight ?? 0) >= 50;
        if (slow) shape.candidate.latencyMs = 500;
        if (slow && route?.weight === 25) shape.candidate.errors = Math.round(shape.candidate.requests / 3);
        return shape;
      },
    });
    const spec = withSeverities(gradualSpec(), { maxErrorRate: 'emergency' });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec)).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.match(
      result.reason,
      /^canary step 4 \(50%\): candidate p95 539ms vs stable 208ms \(max 2×\).*; the gradual rollback was cut short: candidate error rate 33\.3% \(max 10\.0%\) \(severity emergency\)/,
    );
    assert.equal(result.status.gradualRollback?.done, 1);
    assert.ok(!weightsSet(world).includes(12.5));
  });
});
