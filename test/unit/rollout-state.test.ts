import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initialRolloutState, phaseOf, type RolloutState } from '../../src/workflows/state/rollout-state';
import { StateOwner } from '../../src/workflows/state/state-owner';
import { statusView, waitingFor } from '../../src/workflows/state/status-view';
import { migrateState, type LegacyRolloutStatus } from '../../src/workflows/state/legacy-status';
import { emptyWindow } from '../../src/analysis/stats';
import { REPO_ROOT } from '../../src/config/toolchain';

const HOUR = 3_600_000;

function owner(start = 0): { rollout: StateOwner; clock: { now: number } } {
  const clock = { now: start };
  return { rollout: new StateOwner(initialRolloutState('r1', 'chat', 2, start), () => clock.now), clock };
}

describe('the status view', () => {
  it('is computed from the state and the clock, and changes nothing', () => {
    const { rollout, clock } = owner();
    rollout.enterStage('canary', 'canary step 1');
    rollout.stepEntered(0);
    rollout.trafficSet(10, 0);
    rollout.beginWait({ kind: 'soak', endsOn: 'time', durationMs: 2 * HOUR, analysis: 'canary' });
    const before = JSON.stringify(rollout.state);
    clock.now = 30 * 60_000;
    const view = statusView(rollout.state, clock.now);
    assert.equal(JSON.stringify(rollout.state), before, 'the query wrote nothing');
    assert.equal(view.phase, 'Canary');
    assert.equal(view.waitingFor, 'step 1 (10%) to end (1h30m left)');
    assert.equal(view.waitUntil, 2 * HOUR);
    // the same state at a later time: a later answer, the same state
    assert.equal(statusView(rollout.state, HOUR).waitingFor, 'step 1 (10%) to end (1h left)');
    assert.deepEqual(statusView(rollout.state, clock.now), view);
  });

  it('puts a pause in front of the wait, and stops its clock', () => {
    const { rollout, clock } = owner();
    rollout.enterStage('canary', 'step');
    rollout.stepEntered(0);
    rollout.trafficSet(10, 0);
    rollout.beginWait({ kind: 'soak', endsOn: 'time', durationMs: 2 * HOUR, analysis: 'canary' });
    clock.now = HOUR;
    rollout.pause('ops', 'freeze');
    clock.now = 5 * HOUR;
    assert.equal(waitingFor(rollout.state, clock.now), 'resume (paused by ops), then step 1 (10%) to end (1h left)');
    rollout.resume();
    clock.now = 5 * HOUR + 30 * 60_000;
    assert.equal(waitingFor(rollout.state, clock.now), 'step 1 (10%) to end (30m left)');
  });

  it('warns about a stable that is down, and says nothing once the rollout ended', () => {
    const { rollout } = owner();
    rollout.enterStage('shadow', 'shadow');
    rollout.beginWait({ kind: 'shadow', endsOn: 'time', durationMs: HOUR, analysis: 'shadow' });
    rollout.stableProbed({ healthy: false, detail: 'unreachable: connect ECONNREFUSED' });
    rollout.verdictRecorded(
      {
        verdict: 'Error',
        checks: [],
        summary: "baseline unhealthy: the stable's server is down",
        candidateRequests: 5,
        baselineRequests: 5,
        baselineHealthy: false,
      },
      { ...emptyWindow(0, 1000), pairs: 5 },
      'shadow',
    );
    const view = statusView(rollout.state, 0);
    assert.deepEqual(view.warnings, [
      "the route's stable is down: unreachable: connect ECONNREFUSED",
      "1 analysis window in a row without usable evidence: baseline unhealthy: the stable's server is down",
    ]);
    assert.equal(view.shadowTotals.pairs, 0, 'a window against a sick stable is left out of the totals');
    assert.equal(view.excludedWindows, 1);
    rollout.finish('RolledBack', 'operator rollback', null);
    assert.deepEqual(statusView(rollout.state, 0).warnings, []);
  });
});

describe('the state owner', () => {
  it('derives the phase from the stage in progress, the closing and the result', () => {
    const { rollout } = owner();
    assert.equal(phaseOf(rollout.state), 'Pending');
    rollout.enterStage('quantize', 'q');
    assert.equal(phaseOf(rollout.state), 'Quantize');
    rollout.close('RollingBack', 'roll back');
    assert.equal(phaseOf(rollout.state), 'RollingBack');
    rollout.finish('RolledBack', 'why', null);
    assert.equal(phaseOf(rollout.state), 'RolledBack');
    assert.equal(rollout.state.timeline.at(-1)?.message, 'RolledBack: why');
  });

  it('counts consecutive failures and errors', () => {
    const { rollout } = owner();
    const verdict = (v: 'Pass' | 'Fail' | 'Error' | 'Inconclusive') =>
      rollout.verdictRecorded({ verdict: v, checks: [], summary: v, candidateRequests: 0, baselineRequests: 0 }, null, 'canary');
    verdict('Fail');
    verdict('Inconclusive');
    verdict('Fail');
    assert.equal(rollout.state.analysis.consecutiveFailures, 2, 'only a Pass resets the failure count');
    verdict('Error');
    verdict('Error');
    assert.equal(rollout.state.analysis.consecutiveErrors, 2);
    verdict('Pass');
    assert.deepEqual([rollout.state.analysis.consecutiveFailures, rollout.state.analysis.consecutiveErrors, rollout.state.analysis.count], [0, 0, 6]);
  });

  it('hands the next run a copy: nothing outside the owner can write through it', () => {
    const { rollout } = owner();
    const carried = rollout.carry();
    carried.weight = 99;
    assert.equal(rollout.state.weight, 0);
  });
});

describe('the first release’s state', () => {
  it('migrates into this release’s state when a run continues as new across the upgrade', () => {
    // The status a first-release run carried, as its recorded history shows it at the end.
    const history = JSON.parse(readFileSync(join(REPO_ROOT, 'test/workflows/histories/release-1/paused-and-resumed.json'), 'utf8')) as {
      events: { workflowExecutionCompletedEventAttributes?: { result?: { payloads?: { data?: string }[] } } }[];
    };
    const payload = history.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data ?? '';
    const legacy = (JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { status: LegacyRolloutStatus }).status;
    // Take it back to mid-canary, where a run could have continued as new.
    const midCanary: LegacyRolloutStatus = { ...legacy, phase: 'Canary', stage: 'canary', outcome: null, reason: null, step: 2, weight: 25 };
    const state: RolloutState = migrateState(midCanary, 'local');
    assert.equal(state.version, 2);
    assert.equal(state.stage, 'canary');
    assert.equal(phaseOf(state), 'Canary');
    assert.equal(state.result, null);
    assert.equal(state.analysis.count, legacy.analyses);
    assert.deepEqual(state.audit, legacy.audit);
    assert.equal(state.candidate?.deploymentId, legacy.candidateDeploymentId);
    assert.equal(state.totals.canary.candidate.requests, legacy.canaryTotals.candidate.requests);
    assert.ok(!('breakerOpen' in state.totals.canary));
    assert.equal(statusView(state, 0).weight, 25);
  });
});
