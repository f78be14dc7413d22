// Custom metrics (analysis.metrics) through the workflow: checked before anything moves, judged
// every interval beside the built-in rules; a failing one rolls back, an unreadable one pauses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { command, startRollout, waitForStatus } from '../helpers/workflow-driver';
import { resumeSignal, statusQuery } from '../../src/workflows/messages';
import { rolloutSpecSchema, type RolloutSpec } from '../../src/config/spec';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

const TPS_QUERY = 'sum(rate(gantry_gateway_tokens_total{route="{{route}}",variant="candidate",direction="output"}[{{interval}}]))';

/** A 3-hour shadow, one 3-hour canary step, hourly analysis, and a tokens-per-second rule. */
function specWithRule(rule: Record<string, unknown> = {}): RolloutSpec {
  const base = weeksLongSpec();
  return rolloutSpecSchema.parse({
    ...base,
    qa: undefined,
    shadow: { duration: 3 * 3_600_000, sampleRate: 1, minPairs: 0 },
    canary: { steps: [{ weight: 50, duration: 3 * 3_600_000 }] },
    analysis: {
      ...base.analysis,
      metrics: [{ name: 'tokens-per-second', provider: 'prometheus', query: TPS_QUERY, successCondition: 'result >= 100', ...rule }],
    },
  });
}

describe('custom metrics', () => {
  it('checks the queries before anything moves, judges them every interval, and promotes while they pass', async () => {
    const world = newWorld({ metricValue: () => 140 });
    const result = await withWorkers(env, world, async () => (await startRollout(env, specWithRule())).result());
    assert.equal(result.outcome, 'Promoted', result.reason);
    const checked = world.calls.indexOf('checkMetricSources:tokens-per-second');
    assert.ok(checked >= 0 && checked < world.calls.findIndex((c) => /^start .*-candidate$/.test(c)), 'checked before the candidate started');
    assert.ok(world.metricQueries.length >= 6, `${world.metricQueries.length} reads: every interval of the shadow and the canary`);
    assert.equal(world.metricQueries[0], 'sum(rate(gantry_gateway_tokens_total{route="chat",variant="candidate",direction="output"}[3600s]))');
    assert.deepEqual(
      result.status.metrics.map((m) => [m.name, m.verdict, m.value]),
      [['tokens-per-second', 'Pass', 140]],
    );
  });

  it('rolls back when a rule fails failureLimit times in a row, naming the rule and its value', async () => {
    // Passing at first, then the candidate slows down.
    const world = newWorld({ metricValue: (_name, index) => (index <= 2 ? 140 : 60) });
    const result = await withWorkers(env, world, async () => (await startRollout(env, specWithRule({ failureLimit: 2 }))).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /metric tokens-per-second = 60 \(success when result >= 100\): failed 2 times in a row \(failureLimit 2\)/);
    assert.equal(world.metricQueries.length, 4, 'rolled back at the second failure in a row');
  });

  it('only warns at severity warning, and rolls back at once with an EMERGENCY alert at severity emergency', async () => {
    const base = specWithRule({ severity: 'warning' });
    const spec = rolloutSpecSchema.parse({
      ...base,
      analysis: {
        ...base.analysis,
        metrics: [
          ...base.analysis.metrics,
          {
            name: 'safety-refusals',
            provider: 'prometheus',
            query: 'sum(gantry_safety_refusals)',
            failureCondition: 'result > 0',
            severity: 'emergency',
            failureLimit: 3,
          },
        ],
      },
    });
    // Tokens per second below the bar from the start (a warning); refusals appear at the fourth read of them.
    const world = newWorld({ metricValue: (name, index) => (name === 'tokens-per-second' ? 60 : index >= 8 ? 1 : 0) });
    const result = await withWorkers(env, world, async () => (await startRollout(env, spec)).result());
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /metric safety-refusals = 1 \(failure when result > 0\): failed 1 time in a row \(severity emergency\)/);
    assert.ok(world.notifications.some((n) => n.level === 'EMERGENCY' && /rolling back at once: metric safety-refusals/.test(n.message)));
    const warnings = world.notifications.filter((n) => n.level === 'WARNING' && /metric tokens-per-second = 60/.test(n.message));
    assert.equal(warnings.length, 1, 'one warning for the streak, and no rollback for it');
  });

  it('fails before anything moves when Prometheus refuses a query', async () => {
    const world = newWorld({ badQuery: 'tokens-per-second' });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, specWithRule());
      await assert.rejects(handle.result(), (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
        assert.match(error.cause.message, /analysis\.metrics tokens-per-second: Prometheus refused the query \(400\)/);
        return true;
      });
    });
    assert.ok(!world.calls.some((c) => /^start .*-candidate$/.test(c)), 'no candidate was started');
    assert.ok(!world.calls.some((c) => /candidate=yes/.test(c)), 'no traffic reached a candidate');
  });

  it('pauses and alerts when a rule cannot be read consecutiveErrorLimit times in a row, never rolls back, and goes on once resumed', async () => {
    const world = newWorld({ metricValue: () => 140 });
    const spec = specWithRule({ consecutiveErrorLimit: 2 });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      await waitForStatus(handle, (s) => s.phase === 'Shadow', 90_000, { env, by: '10m' });
      world.metricsDown = true;
      const paused = await waitForStatus(handle, (s) => s.paused !== null, 90_000, { env, by: '30m' });
      assert.equal(paused.paused?.by, 'gantry');
      assert.match(paused.paused?.reason ?? '', /^metric tokens-per-second: not measured: .*\(2 in a row, consecutiveErrorLimit 2\)/);
      assert.ok(world.notifications.some((n) => n.event === 'paused' && n.level === 'CRITICAL'));
      await env.sleep('2d');
      assert.equal((await handle.query(statusQuery)).outcome, null);
      world.metricsDown = false;
      assert.equal((await command(handle, resumeSignal, { by: 'ops' })).accepted, true);
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
    });
  });
});
