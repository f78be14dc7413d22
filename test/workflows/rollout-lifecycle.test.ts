// Every lifecycle path of rolloutWorkflow on the time-skipping test server: weeks run in seconds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld, healthyTraffic, type FakeWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { rolloutWorkflow } from '../../src/workflows';
import { CONTROL_TASK_QUEUE, resumeSignal, rollbackSignal, statusQuery } from '../../src/workflows/messages';
import { command, startRollout, waitForStatus } from '../helpers/workflow-driver';
import type { RolloutSpec } from '../../src/config/spec';
import type { RolloutStatus } from '../../src/workflows/state/status-view';

let env: TestWorkflowEnvironment;
let counter = 0;

before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

async function run(world: FakeWorld, spec: RolloutSpec = weeksLongSpec()) {
  const workflowId = `rollout-test-${++counter}`;
  return withWorkers(env, world, () =>
    env.client.workflow.execute(rolloutWorkflow, { workflowId, taskQueue: CONTROL_TASK_QUEUE, args: [{ rolloutId: workflowId, spec, startedBy: 'test' }] }),
  );
}

describe('rolloutWorkflow', () => {
  it('promotes after a 7-day shadow and 11 days of canary steps, in seconds', async () => {
    const world = newWorld();
    const started = Date.now();
    const result = await run(world);
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.ok(Date.now() - started < 60_000, 'the 18-day rollout should finish in well under a minute');
    // every phase ran, in order
    const phases = result.status.timeline.map((t) => t.phase);
    for (const phase of ['QA', 'Quantize', 'Deploy', 'Shadow', 'Canary', 'Evaluation', 'Promoting', 'Promoted'])
      assert.ok(phases.includes(phase as never), `missing ${phase}`);
    // the route now serves the candidate as stable, with no candidate left
    const route = world.routes.get('chat');
    const id = result.status.rolloutId;
    assert.equal(route?.stable.deployment?.id, `${id}-candidate`);
    assert.equal(route?.candidate, undefined);
    assert.equal(route?.weight, 0);
    // the old stable and the QA server are stopped, the new stable is not
    assert.ok(world.stopped.includes(`chat-stable-${id}`));
    assert.ok(world.stopped.includes(`${id}-qa`));
    assert.ok(!world.stopped.includes(`${id}-candidate`));
    // weights went up step by step: 0 (shadow) then 1, 5, 25, 50, 100
    const weights = world.calls.filter((c) => c.startsWith('route chat') && c.includes('candidate=yes')).map((c) => Number(/weight=(\d+)/.exec(c)?.[1]));
    assert.deepEqual([...new Set(weights)], [0, 1, 5, 25, 50, 100]);
    // Hourly analyses: 7*24 in shadow + 11*24 in canary. A timed phase also judges the window since
    // its last analysis before it ends; that window is empty unless activities ran late, as they do
    // on a loaded machine (the test server's clock runs in real time while one is running), so each
    // of the six timed phases may add one.
    const hourly = (7 + 11) * 24;
    assert.ok(result.status.analyses >= hourly && result.status.analyses <= hourly + 6, `analyses: ${result.status.analyses}`);
    const shadowPairs = result.status.shadowTotals.pairs;
    assert.ok(shadowPairs % 600 === 0 && shadowPairs >= 7 * 24 * 600 && shadowPairs <= (7 * 24 + 1) * 600, `shadow pairs: ${shadowPairs}`);
    assert.equal(result.status.evaluation?.promote, true);
  });

  it("applies the spec's gateway settings to the route with the candidate", async () => {
    const world = newWorld();
    const spec = weeksLongSpec({ gateway: { segments: [{ kind: 'header', name: 'x-intent', equals: 'greeting' }], pairPrompt: 'hash' } });
    const calls: string[] = [];
    const traffic = healthyTraffic();
    world.traffic = (route, index) => {
      if (route?.candidate) calls.push(`${route.pairPrompt}:${route.segments.length}`);
      return traffic(route, index);
    };
    const result = await run(world, spec);
    assert.equal(result.outcome, 'Promoted');
    assert.ok(calls.length > 0 && calls.every((c) => c === 'hash:1'), calls.slice(0, 3).join(','));
  });

  it('rolls back automatically when the candidate breaches the error-rate rule in a canary step', async () => {
    const healthy = healthyTraffic();
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        // from the 5% step on, the candidate fails a third of its requests
        if ((route?.weight ?? 0) >= 5) shape.candidate.errors = Math.round(shape.candidate.requests / 3);
        return shape;
      },
    });
    const result = await run(world);
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /canary step 2 \(5%\): .*error rate/);
    assert.equal(result.status.consecutiveFailures, 2, 'failureLimit 2 means two failed checks in a row');
    const route = world.routes.get('chat');
    assert.equal(route?.candidate, undefined);
    assert.equal(route?.weight, 0);
    const candidateId = `${result.status.rolloutId}-candidate`;
    assert.ok(world.stopped.includes(candidateId));
    // weight 0 was set before the candidate server was stopped
    const detachAt = world.calls.findIndex((c) => c === 'route chat weight=0 shadow=0 candidate=no');
    const stopAt = world.calls.indexOf(`stop ${candidateId}`);
    assert.ok(detachAt >= 0 && detachAt < stopAt);
  });

  it('rolls back a candidate that answers without errors but too slowly in tokens per second, and records the speeds', async () => {
    const healthy = healthyTraffic();
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        const answers = { inputTokens: 120, ttftMs: 40 };
        shape.stable = { ...shape.stable, ...answers, outputTokens: 60 }; // 60 tokens in 200 ms: 300 tokens/s
        shape.shadow = { ...shape.shadow, ...answers, outputTokens: 57 };
        // from the 25% step on, the candidate answers a sixth as fast: 10 tokens in 190 ms
        shape.candidate = { ...shape.candidate, ...answers, outputTokens: (route?.weight ?? 0) >= 25 ? 10 : 57 };
        return shape;
      },
    });
    const spec = weeksLongSpec();
    const analysis = {
      ...spec.analysis,
      rollback: { ...spec.analysis.rollback, minTokensPerSecondRatio: 0.8, maxCostPerRequestRatio: 1.5 },
      cost: { stable: { inputPer1k: 0.5, outputPer1k: 1.5 }, candidate: { inputPer1k: 0.5, outputPer1k: 1.5 } },
    };
    const result = await run(world, { ...spec, analysis });
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /^canary step 3 \(25%\): candidate tokens per second 52\.\d tokens\/s vs stable 300\.0 tokens\/s \(min 0\.8×\)/);
    assert.equal(result.status.canaryTotals.candidate.errors, 0, 'not one error: only the speed gave it away');
    assert.ok((result.status.canaryTotals.candidate.outputTokens ?? 0) > 0, 'the canary totals count tokens');
    const early = world.intervals.find((e) => e.judged === 'candidate' && e.weight === 5);
    assert.ok(early?.candidate?.tokensPerSecond && early.stable?.tokensPerSecond === 300, JSON.stringify(early));
    const cost = early.checks.find((c) => c.name === 'cost per request');
    assert.equal(cost?.ok, true, JSON.stringify(early.checks));
    assert.ok((early.stable.ttftP95Ms ?? 0) >= 40, 'the first-token time is recorded');
  });

  it('refuses to promote, at the evaluation, a candidate a little slower over the whole canary than the promotion rules allow', async () => {
    const healthy = healthyTraffic();
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        const answers = { inputTokens: 120, ttftMs: 40 };
        shape.stable = { ...shape.stable, ...answers, outputTokens: 60 }; // 300 tokens/s
        shape.shadow = { ...shape.shadow, ...answers, outputTokens: 57 };
        shape.candidate = { ...shape.candidate, ...answers, outputTokens: 45 }; // 45 tokens in 190 ms: 237 tokens/s, 0.79×
        return shape;
      },
    });
    const spec = weeksLongSpec();
    const analysis = { ...spec.analysis, promote: { ...spec.analysis.promote, minTokensPerSecondRatio: 0.9, maxTtftP95Ratio: 1.2 } };
    const result = await run(world, { ...spec, analysis });
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /^evaluation: candidate tokens per second 23\d\.\d tokens\/s vs stable 300\.0 tokens\/s \(min 0\.9×\)$/);
    const checks = result.status.evaluation?.checks ?? [];
    assert.deepEqual(
      checks.filter((c) => c.name === 'TTFT p95' || c.name === 'tokens per second').map((c) => [c.name, c.ok]),
      [
        ['TTFT p95', true],
        ['tokens per second', false],
      ],
    );
    assert.ok(
      world.intervals.every((e) => e.verdict !== 'Fail'),
      'no interval failed: only the evaluation of the whole canary judged the speed',
    );
  });

  it("rolls back at the next check when the gateway's circuit breaker has cut the candidate off", async () => {
    const healthy = healthyTraffic();
    const world = newWorld({
      traffic: (route, index) => ({
        ...healthy(route, index),
        ...((route?.weight ?? 0) >= 25 ? { breakerOpen: "circuit breaker open: 10 of the candidate's last 20 requests failed (limit 50%)" } : {}),
      }),
    });
    const result = await run(world);
    assert.equal(result.outcome, 'RolledBack');
    assert.equal(result.reason, "canary step 3 (25%): circuit breaker open: 10 of the candidate's last 20 requests failed (limit 50%)");
    assert.equal(result.status.consecutiveFailures, 0, 'no failureLimit applies: the breaker is a breach by itself');
  });

  it('rolls back in the shadow phase when mirrored answers fail', async () => {
    const healthy = healthyTraffic();
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        shape.shadow.errors = Math.round(shape.shadow.requests / 2);
        return shape;
      },
    });
    const result = await run(world);
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /^shadow analysis: /);
    assert.equal(result.status.step, -1, 'no canary step was reached');
    assert.ok(!world.calls.some((c) => /weight=[1-9]/.test(c)), 'no live traffic ever reached the candidate');
  });

  it('takes the operator rollback signal during a canary step', async () => {
    const world = newWorld();
    const workflowId = `rollout-test-${++counter}`;
    const result = await withWorkers(env, world, async () => {
      const handle = await env.client.workflow.start(rolloutWorkflow, {
        workflowId,
        taskQueue: CONTROL_TASK_QUEUE,
        args: [{ rolloutId: workflowId, spec: weeksLongSpec(), startedBy: 'test' }],
      });
      let status: RolloutStatus;
      do {
        await env.sleep('6h');
        status = await handle.query(statusQuery);
      } while (!(status.phase === 'Canary' && status.step === 2));
      await handle.signal(rollbackSignal, { reason: 'support tickets about tone', by: 'alice' });
      return handle.result();
    });
    assert.equal(result.outcome, 'RolledBack');
    assert.equal(result.reason, 'operator rollback by alice: support tickets about tone');
    assert.equal(result.status.step, 2);
    assert.deepEqual(
      result.status.audit.map((a) => [a.by, a.action]),
      [
        ['test', 'start'],
        ['alice', 'rollback'],
      ],
    );
    assert.equal(world.routes.get('chat')?.weight, 0);
    assert.ok(world.stopped.includes(`${workflowId}-candidate`));
  });

  it('gates the quantized artifact beside the stable, and blocks it before anything serves users', async () => {
    const world = newWorld({ qaAccuracy: 0.3 });
    const result = await run(world);
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /^QA gate failed: accuracy 30%/);
    const quantizeAt = world.calls.findIndex((c) => c.startsWith('quantize'));
    const qaAt = world.calls.findIndex((c) => c.startsWith('qa '));
    assert.ok(quantizeAt >= 0 && quantizeAt < qaAt, 'quantized first, then gated');
    assert.match(world.calls[qaAt] ?? '', /on \/artifacts\/.*\.Q8_0\.gguf beside chat$/);
    assert.ok(!world.calls.some((c) => /^start .*-candidate$/.test(c)), 'the candidate never served');
    assert.deepEqual([...world.servers.keys()], [`chat-stable-${result.status.rolloutId}`], 'the QA server was stopped; the stable serves on');
  });

  it('ends Failed with the cause when quantization fails, leaving nothing of the candidate running', async () => {
    const world = newWorld({ failQuantize: { message: 'model file not found: /models/candidate-f16.gguf', type: 'MODEL_NOT_FOUND' } });
    await assert.rejects(run(world), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      const cause = error.cause;
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, 'MODEL_NOT_FOUND');
      assert.match(cause.message, /model file not found/);
      return true;
    });
    assert.deepEqual(
      [...world.servers.keys()].filter((id) => !id.startsWith('chat-stable-')),
      [],
    );
  });

  it('treats a metric-store outage as Error verdicts: never a rollback, a pause and a CRITICAL alert at the limit, and on once resumed', async () => {
    const world = newWorld({ metricsDown: true });
    const spec = weeksLongSpec({ shadow: undefined, canary: { steps: [{ weight: 50, duration: '6h' }] } });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      const paused = await waitForStatus(handle, (s) => s.paused !== null, 90_000, { env, by: '30m' });
      assert.equal(paused.paused?.by, 'gantry');
      assert.match(paused.paused?.reason ?? '', /^4 analysis windows in a row without usable evidence \(limit 4\): metrics unavailable: /);
      assert.ok(paused.recentVerdicts.every((v) => v.verdict === 'Error'));
      assert.equal(paused.consecutiveFailures, 0);
      assert.equal(paused.weight, 50, 'an outage moves no traffic');
      assert.ok(paused.warnings.some((w) => /4 analysis windows in a row without usable evidence/.test(w)));
      assert.ok(world.notifications.some((n) => n.event === 'paused' && n.level === 'CRITICAL'));
      // Paused for days, still no rollback.
      await env.sleep('3d');
      assert.equal((await handle.query(statusQuery)).outcome, null);
      world.metricsDown = false;
      assert.equal((await command(handle, resumeSignal, { by: 'ops' })).accepted, true);
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
    });
  });

  it('never rolls back a shadow phase that counted too few pairs for a metric outage: it goes on, and promotes once metrics return', async () => {
    const world = newWorld({ metricsDown: true });
    const base = weeksLongSpec();
    const spec = weeksLongSpec({
      shadow: { duration: '3h', sampleRate: 1, minPairs: 100 },
      canary: { steps: [{ weight: 50, duration: '3h' }] },
      analysis: { ...base.analysis, interval: '1h', consecutiveErrorLimit: 100, inconclusiveLimit: 1 },
    });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      const extended = await waitForStatus(handle, (s) => s.phase === 'Shadow' && /^more shadow pairs/.test(s.waitingFor ?? ''), 90_000, { env, by: '30m' });
      assert.match(extended.waitingFor ?? '', /^more shadow pairs: 0 of 100 counted; checking again in .* \(extension 1\)$/);
      assert.ok(extended.warnings.some((w) => /the shadow phase counted too few pairs \(0 of 100\) and goes on/.test(w)));
      assert.ok(
        world.notifications.some(
          (n) => n.level === 'WARNING' && /shadow phase recorded 0 pairs, fewer than the 100 required: shadow phase extended for 3h/.test(n.message),
        ),
      );
      assert.ok(!world.calls.some((c) => /weight=[1-9]/.test(c)), 'no user traffic reached the candidate');
      // Metrics are back: the first good read covers every window the outage left unread.
      world.metricsDown = false;
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
      assert.ok(result.status.shadowTotals.pairs >= 100);
    });
  });

  it('never rolls back on an evaluation without evidence: the canary is extended, then paused at the limit, and promotes once metrics return', async () => {
    // A metric outage over the whole canary: every window Error, no candidate sample in the totals.
    const world = newWorld({ metricsDown: true });
    const base = weeksLongSpec();
    const spec = weeksLongSpec({
      shadow: undefined,
      canary: { steps: [{ weight: 50, duration: '3h' }] },
      analysis: { ...base.analysis, interval: '1h', consecutiveErrorLimit: 100, inconclusiveLimit: 1 },
    });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      const extended = await waitForStatus(handle, (s) => s.phase === 'Evaluation' && s.waitingFor !== null, 90_000, { env, by: '30m' });
      assert.match(extended.waitingFor ?? '', /^more canary evidence at 50%: the evaluation was inconclusive/);
      assert.ok(extended.warnings.some((w) => /the evaluation was inconclusive, the canary goes on: 0 candidate samples \(min 200\)/.test(w)));
      assert.equal(extended.weight, 50, 'an inconclusive evaluation moves no traffic');
      assert.ok(world.notifications.some((n) => n.level === 'WARNING' && /evaluation inconclusive .*extension 1/.test(n.message)));
      // The limit is one extension: the second inconclusive evaluation pauses and alerts, and still nothing rolls back.
      const paused = await waitForStatus(handle, (s) => s.paused !== null, 90_000, { env, by: '30m' });
      assert.equal(paused.paused?.by, 'gantry');
      assert.match(paused.paused?.reason ?? '', /evaluation inconclusive .* after 1 extension \(inconclusiveLimit 1\)/);
      assert.ok(world.notifications.some((n) => n.event === 'paused' && n.level === 'CRITICAL'));
      await env.sleep('3d');
      const held = await handle.query(statusQuery);
      assert.equal(held.outcome, null);
      assert.equal(held.weight, 50);
      // Metrics are back: the first good read covers every window the outage left unread.
      world.metricsDown = false;
      assert.equal((await command(handle, resumeSignal, { by: 'ops' })).accepted, true);
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
    });
  });
});
