import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { streamsAt } from '../../src/cli/traffic/replay';

const streamedOf = (count: number, share: number): number[] => Array.from({ length: count }, (_, i) => i).filter((i) => streamsAt(i, share));

describe('which replayed requests stream', () => {
  it('streams the share asked for, spread evenly', () => {
    assert.deepEqual(streamedOf(6, 0.5), [1, 3, 5]);
    assert.equal(streamedOf(100, 0.2).length, 20);
    assert.deepEqual(streamedOf(10, 0.2), [4, 9]);
  });

  it('streams none at 0 and all at 1', () => {
    assert.deepEqual(streamedOf(10, 0), []);
    assert.equal(streamedOf(10, 1).length, 10);
  });
});
