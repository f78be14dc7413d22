// The spec loader under random input: whatever a file holds, the answer is a spec or one line that
// names the problem (GantryError INVALID_SPEC) — never a stack trace, never another kind of error.
// fast-check prints the seed and the smallest failing spec.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseSpec } from '../../src/config/load-spec';
import { GantryError } from '../../src/errors';
import { VALID_SPEC, anyTree, mutatedSpec } from '../helpers/spec-mutations';

function loads(text: string): boolean {
  try {
    parseSpec(text, 'spec.yaml');
    return true;
  } catch (error) {
    assert.ok(error instanceof GantryError, `not a GantryError: ${String(error)}`);
    assert.equal(error.type, 'INVALID_SPEC');
    assert.ok(error.message.startsWith('spec.yaml: '), error.message);
    assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
    assert.ok(!/\bat .*:\d+:\d+/.test(error.message), `a stack trace: ${error.message}`);
    return false;
  }
}

describe('spec loader fuzzing', () => {
  it('takes the unmutated spec (the mutations start from something valid)', () => {
    assert.equal(loads(stringify(VALID_SPEC)), true);
  });

  it('answers a spec with one random change with the spec or one line', () => {
    fc.assert(
      fc.property(mutatedSpec, (spec) => void loads(stringify(spec))),
      { numRuns: 2_000 },
    );
  });

  it('answers random YAML trees and random text with one line', () => {
    fc.assert(
      fc.property(anyTree, (tree) => void loads(stringify(tree))),
      { numRuns: 1_000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => void loads(text)),
      { numRuns: 1_000 },
    );
  });
});
