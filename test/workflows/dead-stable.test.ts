// A candidate is never judged against a dead stable: the stable is checked (and restored) before
// anything moves, and a window whose stable is sick is an Error — in the shadow phase, in a canary
// step and at the evaluation — never a Pass, never a promotion.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { healthyTraffic, newWorld, type FakeWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { endRollout, startRollout, waitForStatus } from '../helpers/workflow-driver';
import { routeConfigSchema } from '../../src/gateway/route-config';
import { rollbackSignal } from '../../src/workflows/messages';
import type { RolloutSpec } from '../../src/config/spec';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

const HOUR = 3_600_000;

/** A world where route `chat` already exists, served by the deployment a previous rollout promoted. */
function worldWithRoute(overrides: Partial<FakeWorld> = {}): FakeWorld {
  const world = newWorld(overrides);
  const deployment = { host: 'local', deploymentId: 'previous-candidate', endpoint: 'http://127.0.0.1:9100/v1', pid: 4242, modelPath: '/models/q8.gguf' };
  world.servers.set(deployment.deploymentId, deployment);
  world.routes.set(
    'chat',
    routeConfigSchema.parse({ stable: { url: deployment.endpoint, deployment: { host: 'local', id: deployment.deploymentId }, label: 'stable' } }),
  );
  return world;
}

/** No QA, no quantize: the rollout reaches traffic quickly. */
function quickSpec(overrides: Partial<RolloutSpec> = {}): RolloutSpec {
  return { ...weeksLongSpec(), qa: undefined, ...overrides };
}

describe('the stable is checked before anything moves', () => {
  it('finds a serving stable and leaves the route as it is', async () => {
    const world = worldWithRoute();
    const result = await withWorkers(env, world, async () =>
      (
        await startRollout(env, quickSpec({ shadow: undefined, canary: { steps: [{ weight: 50, duration: 6 * HOUR, advance: 'auto', onTimeout: 'hold' }] } }))
      ).result(),
    );
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.deepEqual(result.status.stable && { found: result.status.stable.found, id: result.status.stable.deploymentId }, {
      found: 'healthy',
      id: 'previous-candidate',
    });
    assert.ok(world.calls.indexOf('ensure previous-candidate') < world.calls.findIndex((c) => c.startsWith('start ')), 'checked before the candidate started');
    assert.ok(!world.calls.includes('set stable chat'));
  });

  it('restarts a stable whose server is gone from its record and re-points the route, before the candidate starts', async () => {
    const world = worldWithRoute({ stoppedDeployments: new Set(['previous-candidate']) });
    const spec = quickSpec({ shadow: undefined, canary: { steps: [{ weight: 50, duration: 6 * HOUR, advance: 'auto', onTimeout: 'hold' }] } });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec)).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.equal(result.status.stable?.found, 'restored');
    const setStable = world.calls.indexOf('set stable chat');
    const candidateStart = world.calls.findIndex((c) => /^start .*-candidate$/.test(c));
    assert.ok(setStable >= 0 && setStable < candidateStart, world.calls.join('\n'));
    assert.ok(world.notifications.some((n) => n.level === 'WARNING' && /was not running and was restarted from its record/.test(n.message)));
  });

  it("brings the spec's stable up when the route's stable is gone for good, and re-points the route", async () => {
    const world = worldWithRoute({ lostDeployments: new Set(['previous-candidate']) });
    const spec = quickSpec({ shadow: undefined, canary: { steps: [{ weight: 50, duration: 6 * HOUR, advance: 'auto', onTimeout: 'hold' }] } });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec)).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.equal(result.status.stable?.found, 'created');
    assert.match(result.status.stable?.deploymentId ?? '', /^chat-stable-/);
    assert.ok(world.calls.includes('set stable chat'));
  });

  it('fails at once, naming the stable, when it is gone and the spec names none — the candidate never starts', async () => {
    const world = worldWithRoute({ lostDeployments: new Set(['previous-candidate']) });
    const spec = quickSpec({ stable: undefined });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      await assert.rejects(handle.result(), (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.ok(error.cause instanceof ApplicationFailure);
        assert.equal(error.cause.type, 'STABLE_UNAVAILABLE');
        assert.match(
          error.cause.message,
          /route "chat": the stable previous-candidate on host local is not serving \(host local has no record of deployment previous-candidate\), and the spec names no stable/,
        );
        return true;
      });
    });
    assert.ok(!world.calls.some((c) => /^start .*-candidate$/.test(c)), 'no candidate was started');
    assert.ok(!world.calls.some((c) => /candidate=yes/.test(c)), 'no traffic reached a candidate');
  });
});

describe('a sick baseline is no evidence', () => {
  it('in the shadow phase: a stable that fails every request gives Error windows, left out of the totals, then a pause and a CRITICAL alert — never a pass', async () => {
    const healthy = healthyTraffic();
    const world = worldWithRoute({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        shape.stable.errors = shape.stable.requests; // the stable answers nothing
        return shape;
      },
    });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, quickSpec());
      const paused = await waitForStatus(handle, (s) => s.paused !== null, 90_000, { env, by: '30m' });
      assert.equal(paused.phase, 'Shadow');
      assert.equal(paused.paused?.by, 'gantry');
      assert.ok(paused.recentVerdicts.length >= 4 && paused.recentVerdicts.every((v) => v.verdict === 'Error' && v.baselineHealthy === false));
      assert.match(paused.lastVerdict?.summary ?? '', /^baseline unhealthy: the stable answered none of 600 requests \(max 20\.0%\)/);
      assert.equal(paused.shadowTotals.shadow.requests, 0, 'no window against a dead stable counts');
      assert.equal(paused.excludedWindows, paused.analyses);
      assert.ok(paused.warnings.some((w) => /the route's stable is unhealthy/.test(w)));
      assert.ok(world.notifications.some((n) => n.event === 'paused' && n.level === 'CRITICAL' && /without usable evidence/.test(n.message)));
      await handle.signal(rollbackSignal, { reason: 'stable is down', by: 'ops' });
      assert.equal((await handle.result()).outcome, 'RolledBack');
    });
  });

  it("in a canary step: the gateway's probe finding the stable down makes the window an Error, not a Pass", async () => {
    let stableUp = true;
    const world = worldWithRoute({
      stableProbe: () => (stableUp ? { healthy: true, detail: 'answered in 2ms' } : { healthy: false, detail: 'unreachable: connect ECONNREFUSED' }),
    });
    const spec = quickSpec({ shadow: undefined, canary: { steps: [{ weight: 10, duration: 2 * 24 * HOUR, advance: 'auto', onTimeout: 'hold' }] } });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      await waitForStatus(handle, (s) => s.lastVerdict?.verdict === 'Pass', 90_000, { env, by: '1h' });
      stableUp = false;
      const sick = await waitForStatus(handle, (s) => s.lastVerdict?.verdict === 'Error', 90_000, { env, by: '1h' });
      assert.equal(sick.phase, 'Canary');
      assert.match(sick.lastVerdict?.summary ?? '', /^baseline unhealthy: the stable's server is down \(unreachable: connect ECONNREFUSED\)/);
      assert.ok(sick.warnings.includes("the route's stable is down: unreachable: connect ECONNREFUSED"));
      const paused = await waitForStatus(handle, (s) => s.paused !== null, 90_000, { env, by: '1h' });
      assert.equal(paused.paused?.by, 'gantry');
      await endRollout(handle);
    });
  });

  it('at the evaluation: promotion waits while the last window found the stable sick, and goes ahead once it is healthy', async () => {
    const healthy = healthyTraffic();
    // The step's last window (the sixth hourly one) and what follows find the stable sick, until it
    // heals: set by window, not by the test's clock, which time skipping can outrun.
    let healed = false;
    const world = worldWithRoute({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        if (index >= 5 && !healed) shape.stable.errors = shape.stable.requests;
        return shape;
      },
    });
    // One 100% step: the stable still serves the 40% of traffic a 60% step leaves it.
    const spec = quickSpec({ shadow: undefined, canary: { steps: [{ weight: 60, duration: 6 * HOUR, advance: 'auto', onTimeout: 'hold' }] } });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      const held = await waitForStatus(handle, (s) => s.phase === 'Approval' || s.timeline.some((t) => /promotion held/.test(t.message)), 90_000, {
        env,
        by: '30m',
      });
      assert.equal(held.outcome, null);
      assert.ok(held.timeline.some((t) => /promotion held: the last analysis found the stable unhealthy/.test(t.message)));
      healed = true;
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
      assert.ok(result.status.excludedWindows >= 1);
      assert.ok(result.status.timeline.findIndex((t) => /promotion held/.test(t.message)) < result.status.timeline.findIndex((t) => t.phase === 'Promoting'));
    });
  });
});
