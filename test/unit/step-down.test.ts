import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { currentLevel, describeStepDown, planStepDown, stepDownLevels } from '../../src/workflows/state/step-down';

describe('a gradual rollback plan', () => {
  it('spaces its levels evenly between the weight and 0, both left out', () => {
    assert.deepEqual(stepDownLevels(100, 4), [80, 60, 40, 20]);
    assert.deepEqual(stepDownLevels(50, 2), [33.3, 16.7]);
    assert.deepEqual(stepDownLevels(100, 1), [50]);
  });

  it('drops levels that round to 0 or repeat, so a tiny weight has none', () => {
    assert.deepEqual(stepDownLevels(0.2, 4), [0.1]); // 0.16 rounds to 0.2 (no lower), 0.12 and 0.08 to 0.1, 0.04 to 0
    assert.deepEqual(stepDownLevels(0, 4), []);
    assert.equal(planStepDown('why', 'spec', 0, { overMs: 60_000, steps: 4 }, 0), null);
  });

  it('holds each level an equal share of the whole length', () => {
    const plan = planStepDown('slow answers', 'ann', 100, { overMs: 600_000, steps: 4 }, 5);
    assert.deepEqual(plan, { reason: 'slow answers', by: 'ann', fromWeight: 100, levels: [80, 60, 40, 20], holdMs: 150_000, done: 0, startedAt: 5 });
  });

  it('says where it is and when the candidate reaches 0%', () => {
    const plan = { levels: [80, 60, 40, 20], done: 1, holdMs: 150_000 };
    assert.equal(currentLevel(plan), 60);
    assert.equal(describeStepDown(plan, 60_000), 'the gradual rollback: 60% (level 2 of 4), 0% in 6m');
    assert.equal(currentLevel({ ...plan, done: 4 }), null);
    assert.equal(describeStepDown({ ...plan, done: 4 }, 0), 'the gradual rollback to detach the candidate');
  });
});
