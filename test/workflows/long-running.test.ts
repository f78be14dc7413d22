// Rollouts that last weeks: pauses across step boundaries, gates that time out, advances refused
// on a failing analysis, and continue-as-new keeping history small without changing the outcome.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld, healthyTraffic } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { command, endRollout, startRollout, waitForStatus } from '../helpers/workflow-driver';
import { advanceSignal, approveSignal, pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import type { RolloutSpec } from '../../src/config/spec';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** No shadow, two canary steps of 2 days, analysed hourly. */
function twoSteps(overrides: Partial<RolloutSpec> = {}): RolloutSpec {
  const spec = weeksLongSpec();
  return {
    ...spec,
    qa: undefined,
    shadow: undefined,
    canary: {
      steps: [
        { weight: 10, duration: 2 * DAY, advance: 'auto', onTimeout: 'hold' },
        { weight: 50, duration: 2 * DAY, advance: 'auto', onTimeout: 'hold' },
      ],
    },
    ...overrides,
  };
}

describe('pause and resume', () => {
  it('stops the step clock across what would have been the step boundary, and continues the remaining time on resume', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, twoSteps());
      await waitForStatus(handle, (s) => s.phase === 'Canary' && s.wait !== null);
      await env.sleep(DAY); // one of the step's two days
      assert.equal((await command(handle, pauseSignal, { by: 'ops', reason: 'holiday freeze' })).accepted, true);
      await env.sleep(3 * DAY); // paused past the step's end
      const paused = await handle.query(statusQuery);
      assert.equal(paused.step, 0, 'still on the first step');
      assert.equal(paused.weight, 10, 'no traffic moved');
      assert.ok(paused.analyses >= 3 * 24, 'analysis kept running while paused');
      assert.match(paused.waitingFor ?? '', /^resume \(paused by ops\), then step 1 \(10%\) to end \(1d left\)/);
      assert.equal((await command(handle, resumeSignal, { by: 'ops' })).accepted, true);
      await env.sleep(DAY - HOUR);
      assert.equal((await handle.query(statusQuery)).step, 0, 'the remaining day is honoured');
      await env.sleep(2 * HOUR);
      const moved = await handle.query(statusQuery);
      assert.equal(moved.step, 1);
      assert.equal(moved.weight, 50);
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted');
      assert.deepEqual(
        result.status.audit.map((a) => a.action),
        ['start', 'pause', 'resume'],
      );
      assert.deepEqual(
        world.notifications.filter((n) => n.event === 'paused' || n.event === 'resumed').map((n) => [n.event, n.level]),
        [
          ['paused', 'WARNING'],
          ['resumed', 'INFO'],
        ],
      );
    });
  });

  it('still rolls back on a breach while paused', async () => {
    const healthy = healthyTraffic();
    let breaking = false;
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        if (breaking) shape.candidate.errors = shape.candidate.requests;
        return shape;
      },
    });
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, twoSteps());
      await waitForStatus(handle, (s) => s.phase === 'Canary' && s.wait !== null);
      await command(handle, pauseSignal, { by: 'ops' });
      breaking = true;
      const result = await handle.result();
      assert.equal(result.outcome, 'RolledBack');
      assert.match(result.reason, /canary step 1 \(10%\): candidate error rate 100\.0%/);
    });
  });
});

describe('gates', () => {
  const gated = (onTimeout: 'rollback' | 'hold'): RolloutSpec =>
    twoSteps({
      canary: {
        steps: [
          { weight: 10, duration: DAY, advance: 'manual', gateTimeout: 4 * HOUR, onTimeout },
          { weight: 100, duration: DAY, advance: 'auto', onTimeout: 'hold' },
        ],
      },
    });

  it('rolls back when an approval gate times out with onTimeout: rollback', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, gated('rollback'));
      const result = await handle.result();
      assert.equal(result.outcome, 'RolledBack');
      assert.match(result.reason, /^canary step 1 \(10%\): approval to leave step 1 \(10%\) .*timed out after 4h/);
      assert.ok(world.notifications.some((n) => n.event === 'gate' && /waiting for approval/.test(n.message)));
    });
  });

  it('holds when an approval gate times out with onTimeout: hold, until approved', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, gated('hold'));
      await waitForStatus(handle, (s) => s.wait?.kind === 'gate', 90_000, { env, by: '6h' });
      await env.sleep(5 * DAY);
      const holding = await handle.query(statusQuery);
      assert.equal(holding.step, 0);
      assert.equal(holding.waitingFor, 'approval to leave step 1 (10%)');
      assert.ok(world.notifications.some((n) => n.event === 'gate' && n.level === 'CRITICAL' && /timed out after 4h; holding at 10%/.test(n.message)));
      assert.equal((await command(handle, approveSignal, { by: 'lead' })).accepted, true);
      assert.equal((await handle.result()).outcome, 'Promoted');
    });
  });

  it('refuses advance while the latest analysis fails, unless forced', async () => {
    const healthy = healthyTraffic();
    const world = newWorld({
      traffic: (route, index) => {
        const shape = healthy(route, index);
        shape.candidate.errors = Math.round(shape.candidate.requests * 0.2);
        return shape;
      },
    });
    const spec = twoSteps();
    spec.analysis = { ...spec.analysis, failureLimit: 1_000 };
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, spec);
      await waitForStatus(handle, (s) => s.lastVerdict?.verdict === 'Fail', 90_000, { env, by: '1h' });
      const refused = await command(handle, advanceSignal, { by: 'ops' });
      assert.equal(refused.accepted, false);
      assert.match(refused.message, /^the latest analysis failed \(candidate error rate 20\.0% \(max 10\.0%\).*\): advance with force to override$/);
      const forced = await command(handle, advanceSignal, { by: 'ops', force: true });
      assert.equal(forced.accepted, true);
      assert.match(forced.message, /forced past a failing analysis/);
      await waitForStatus(handle, (s) => s.step === 1);
      // Ended by the workflow itself, never terminated: see endRollout.
      await endRollout(handle);
    });
  });
});

describe('continue-as-new', () => {
  const fourWeeks = (): RolloutSpec => {
    const spec = weeksLongSpec();
    // 7-day shadow + 21 days of canary = 4 weeks, analysed hourly: 672 analyses
    return {
      ...spec,
      canary: {
        steps: [1, 5, 25, 50, 100].map((weight, i) => ({ weight, duration: (i === 4 ? 1 : 5) * DAY, advance: 'auto' as const, onTimeout: 'hold' as const })),
      },
    };
  };

  async function eventsPerRun(workflowId: string, firstRunId: string): Promise<number[]> {
    const counts: number[] = [];
    let runId: string | undefined = firstRunId;
    while (runId) {
      const history: { events?: { workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string | null } | null }[] | null } =
        await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events = history.events ?? [];
      counts.push(events.length);
      runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    return counts;
  }

  it('keeps every run under 2,000 events over a 4-week rollout, with the same outcome as runs split differently', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, fourWeeks());
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted', result.reason);
      // Hourly, plus at most one short closing window per timed phase (six) when activities ran late.
      assert.ok(result.status.analyses >= 28 * 24 && result.status.analyses <= 28 * 24 + 6, `analyses: ${result.status.analyses}`);
      const counts = await eventsPerRun(handle.workflowId, handle.firstExecutionRunId);
      assert.ok(counts.length >= 4, `runs: ${counts.join(', ')}`);
      assert.ok(
        counts.every((c) => c < 2_000),
        `events per run: ${counts.join(', ')}`,
      );
      assert.equal(result.status.runs, counts.length);
      // Every interval is in the record, across every continue-as-new, in order and once each.
      const record = [...world.intervals];
      assert.equal(record.length, result.status.analyses, 'one record entry per analysis');
      assert.ok(
        record.every((e, i) => i === 0 || e.at > (record[i - 1]?.at ?? 0)),
        'in order',
      );
      assert.deepEqual([...new Set(record.map((e) => e.phase))], ['Shadow', 'Canary']);
      assert.deepEqual([...new Set(record.map((e) => e.weight))], [0, 1, 5, 25, 50, 100]);
      // At 1% the fake traffic gives 6 candidate requests an hour: Inconclusive, as the status says.
      const unexpected = record.filter(
        (e) => !(e.verdict === 'Pass' || (e.verdict === 'Inconclusive' && e.weight === 1)) || e.stable === null || e.candidate === null,
      );
      assert.deepEqual(unexpected, [], 'every interval judged, with its figures');

      // the same rollout continued only when Temporal suggests it (far fewer, longer runs) reaches the same verdicts
      const single = await (await startRollout(env, fourWeeks(), { historyLimit: 1_000_000 })).result();
      assert.equal(single.outcome, result.outcome);
      assert.ok(single.status.runs < result.status.runs, `${single.status.runs} vs ${result.status.runs} runs`);
      // Each window is counted once however the runs are split: the totals agree but for the short
      // closing windows a phase may judge when activities ran late (one fixed batch of fake traffic
      // each, at most six of ~670 windows); counting a run's windows twice would be far outside that.
      for (const phase of ['canaryTotals', 'shadowTotals'] as const) {
        for (const variant of ['stable', 'candidate'] as const) {
          const a = single.status[phase][variant];
          const b = result.status[phase][variant];
          assert.equal(a.errors, b.errors, `${phase} ${variant} errors`);
          assert.ok(
            Math.abs(a.requests - b.requests) <= 0.02 * Math.max(a.requests, b.requests),
            `${phase} ${variant}: ${a.requests} vs ${b.requests} requests`,
          );
        }
      }
      assert.equal(single.status.evaluation?.promote, result.status.evaluation?.promote);
    });
  });

  it('carries pause state, audit and the step clock through continue-as-new mid-step', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const handle = await startRollout(env, twoSteps(), { historyLimit: 150 });
      await waitForStatus(handle, (s) => s.phase === 'Canary' && s.wait !== null);
      await env.sleep(12 * HOUR);
      await command(handle, pauseSignal, { by: 'ops', reason: 'freeze' });
      await env.sleep(4 * DAY); // ~96 analyses while paused: several new runs
      const during = await handle.query(statusQuery);
      assert.ok(during.runs >= 2, `runs so far: ${during.runs}`);
      assert.equal(during.paused?.by, 'ops');
      assert.equal(during.step, 0);
      assert.match(during.waitingFor ?? '', /then step 1 \(10%\) to end \(1d12h left\)/);
      assert.deepEqual(
        during.audit.map((a) => a.action),
        ['start', 'pause'],
      );
      await command(handle, resumeSignal, { by: 'ops' });
      const result = await handle.result();
      assert.equal(result.outcome, 'Promoted');
      assert.deepEqual(
        result.status.audit.map((a) => a.action),
        ['start', 'pause', 'resume'],
      );
    });
  });
});
