// The chaos suite's short version (the whole one: `npm run chaos`): two compressed rollouts of the
// real model on the real stack, each meeting a fault mid-rollout — the gateway killed mid-canary
// under live traffic, the orchestrator worker killed in the shadow phase of a candidate that must
// be rolled back — each brought back by `dev up`. Each must reach the verdict it reaches
// undisturbed, leave no orphaned model server, start the candidate's server once, lose no
// recorded pair, and answer no user with an error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRealStack, type RealStack } from '../helpers/real-stack';
import { chaosRollout, formatTable } from '../chaos/chaos-rollout';
import type { PlannedRollout } from '../chaos/plan';

const SEED = 1; // names the rollouts; the faults below are fixed so that CI always meets the same two
let stack: RealStack;

before(async () => {
  stack = await startRealStack({ metricSource: 'prometheus' });
});
after(async () => {
  await stack?.stop();
});

describe('chaos, short version', () => {
  const plan: PlannedRollout[] = [
    { index: 0, candidate: 'good', fault: 'kill-gateway', phase: 'Canary', delayMs: 1_000 },
    { index: 1, candidate: 'bad', fault: 'kill-orchestrator', phase: 'Shadow', delayMs: 500 },
  ];
  for (const planned of plan) {
    it(`${planned.candidate} candidate, ${planned.fault} in ${planned.phase}`, async () => {
      const row = await chaosRollout(stack, planned, SEED);
      const table = formatTable([row]);
      assert.equal(row.outcome, row.expected, `${table}\n${row.detail}\n${row.reason}`);
      assert.equal(row.orphans, 0, table);
      assert.equal(row.candidateStarts, 1, table);
      assert.equal(row.pairsLost, 0, table);
      assert.equal(row.userErrors, 0, table);
      assert.match(row.detail, new RegExp(`^killed ${planned.fault.replace('kill-', '')} \\(pid \\d+\\); dev up started \\S+`), row.detail);
      assert.ok(row.ok);
    });
  }
});
