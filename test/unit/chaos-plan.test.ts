// The chaos suite's seeded schedule: repeatable, every fault met, bad candidates struck where they fail.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FAULTS, expectedOutcome, planChaos } from '../chaos/plan';

describe('the chaos schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    assert.deepEqual(planChaos(42, 20), planChaos(42, 20));
    assert.notDeepEqual(planChaos(42, 20), planChaos(43, 20));
  });

  it('meets every fault kind in every round of rollouts, with both kinds of candidate over 20', () => {
    for (const seed of [1, 2, 3, 1234]) {
      const plan = planChaos(seed, 20);
      for (let round = 0; round < Math.floor(20 / FAULTS.length); round++) {
        const kinds = plan.slice(round * FAULTS.length, (round + 1) * FAULTS.length).map((p) => p.fault);
        assert.deepEqual([...kinds].sort(), [...FAULTS].sort(), `seed ${seed} round ${round}`);
      }
      assert.ok(plan.some((p) => expectedOutcome(p) === 'Promoted') && plan.some((p) => expectedOutcome(p) === 'RolledBack'), `seed ${seed}`);
      assert.ok(
        plan.every((p) => p.candidate === 'good' || p.phase === 'Shadow'),
        'a bad candidate is struck before it is rolled back',
      );
      assert.ok(plan.every((p) => p.delayMs >= 0 && p.delayMs <= 3_000));
      assert.ok(plan.every((p) => (p.fault !== 'kill-candidate-server' && p.fault !== 'disk-full') || p.phase === 'Shadow'));
    }
  });
});
