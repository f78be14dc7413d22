// What the Web UI and `rollout list` see of a rollout: its summary and details at start, and the
// visibility query the list filters build.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listQuery } from '../../src/cli/rollout/list-rollouts';
import { startSearchAttributes, staticDetails, staticSummary } from '../../src/cli/rollout/visibility-options';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { weeksLongSpec } from '../helpers/specs';

describe('a rollout in the Web UI', () => {
  it('is summarised by its model, quant type and route, with details in Markdown', () => {
    const spec = weeksLongSpec();
    assert.equal(staticSummary(spec), 'rollout gemma-q8: candidate-f16.gguf (Q8_0) on route chat');
    assert.match(staticDetails(spec), /\*\*Phases\*\* QA gate → shadow → canary 1% → 5% → 25% → 50% → 100%/);
    const attributes = startSearchAttributes(spec);
    assert.equal(attributes.get(ROLLOUT_SEARCH_ATTRIBUTES.route), 'chat');
    assert.equal(attributes.get(ROLLOUT_SEARCH_ATTRIBUTES.phase), 'Pending');
    assert.equal(attributes.get(ROLLOUT_SEARCH_ATTRIBUTES.candidate), 'candidate-f16.gguf');
  });

  it('is found by route, phase, outcome and age, with quotes in a value escaped', () => {
    const now = Date.UTC(2026, 11, 3);
    assert.equal(listQuery({}, now), "WorkflowType = 'rolloutWorkflow'");
    assert.equal(
      listQuery({ route: 'chat', outcome: 'RolledBack', sinceMs: 7 * 86_400_000 }, now),
      "WorkflowType = 'rolloutWorkflow' AND GantryRoute = 'chat' AND GantryOutcome = 'RolledBack' AND StartTime > '2026-11-26T00:00:00.000Z'",
    );
    assert.equal(listQuery({ route: "o'brien" }, now), "WorkflowType = 'rolloutWorkflow' AND GantryRoute = 'o\\'brien'");
  });
});
