// Answer quality from live pairs alone, on the real stack with the real Gemma: no loss gate, no QA
// suite, no eval set. The gateway records the noise floor's A/A pairs beside the shadow pairs, the
// stable's llama-server reads each differing answer (the likelihood judge), and the verdicts are
// judged against the floor. A candidate that never errs but never sees the user's question (its chat
// template loses the message) rolls back in the shadow phase on the likelihood metric; the same
// model served as the stable is (an A/A rollout) promotes with every critical metric PASS, and the
// route's floor is recorded for the next rollout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRealStack, type RealStack } from '../helpers/real-stack';
import { chatTemplate, compressedSpec, gemmaQ4, writeSpec } from '../helpers/real-models';
import { trafficUntil, waitForPhase } from '../helpers/real-rollout-driver';
import { REPO_ROOT } from '../../src/config/toolchain';
import type { RolloutResult } from '../../src/workflows/rollout';
import type { RolloutSpecInput } from '../../src/config/spec';
import type { ShadowPair } from '../../src/gateway/pair-store';

let stack: RealStack;
before(async () => {
  stack = await startRealStack();
});
after(async () => {
  await stack?.stop();
});

function liveOnly(name: string, candidateTemplate: string): RolloutSpecInput {
  const spec = compressedSpec('chat', {
    name,
    qa: undefined,
    shadow: { duration: '40s', sampleRate: 1, minPairs: 1 },
    canary: { steps: [{ weight: 50, duration: '10s' }] },
    quality: {
      aaRate: 0.5,
      reverseShadowRate: 1,
      metrics: [
        { name: 'candidate-failures', kind: 'failures', margin: 0.2, minN: 20 },
        { name: 'equivalent-or-better', kind: 'equivalence', margin: 0.1, minN: 20 },
        { name: 'likelihood', kind: 'likelihood', margin: 0.1, minN: 20 },
      ],
    },
  });
  const server = { contextSize: 2048, threads: 1, chatTemplateFile: candidateTemplate };
  const analysis = { interval: '3s', failureLimit: 2, rollback: { maxErrorRate: 0.2, minRequests: 3 }, promote: { minSamples: 3, maxP95Ratio: 20 } };
  return { ...spec, analysis, candidate: { model: gemmaQ4(), server, readyTimeout: '60s' } };
}

async function run(id: string, spec: RolloutSpecInput): Promise<RolloutResult> {
  const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', id]);
  assert.equal(start.exitCode, 0, String(start.stderr));
  await waitForPhase(stack.client, id, 'Shadow', 180_000);
  const ended = stack.client.workflow.getHandle(id).result() as Promise<RolloutResult>;
  const traffic = trafficUntil(stack.gatewayUrl, ended, 'quickstart-mix.jsonl');
  const result = await ended;
  await traffic;
  return result;
}

async function pairsOf(id: string): Promise<ShadowPair[]> {
  return (await stack.gateway.pairRange('chat', id, null, 5000)).pairs;
}

describe('answer quality from live pairs alone', () => {
  it('rolls back a candidate that never errs but never sees the question, on the likelihood judge, before any user saw it', async () => {
    const id = 'it-lost-question';
    const result = await run(id, liveOnly(id, join(REPO_ROOT, 'configs/templates/content-parts.jinja')));
    assert.equal(result.outcome, 'RolledBack', result.reason);
    assert.match(
      result.reason,
      /^(shadow analysis|quality gate at the end of the shadow phase): quality likelihood: candidate answers the stable finds much less likely, or owing much less to the question .*: significantly more than the floor allows$/,
    );
    const verdicts = result.status.quality?.verdicts ?? [];
    assert.notEqual(verdicts.find((v) => v.name === 'candidate-failures')?.status, 'FAIL', 'it never erred or failed a cheap check');
    const pairs = await pairsOf(id);
    assert.ok(
      pairs.some((p) => p.direction === 'aa'),
      'the A/A arm recorded floor pairs',
    );
    assert.ok(!pairs.some((p) => p.direction === 'reverse'), 'no canary: no user was answered by the candidate');
    assert.ok((result.status.quality?.totals.floor?.pairs ?? 0) > 0, 'the floor was scored');
  });

  it('promotes an A/A rollout (the stable against itself) with every critical metric PASS, and records the floor for the route', async () => {
    const id = 'it-same-model';
    const result = await run(id, liveOnly(id, chatTemplate));
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.deepEqual(
      result.status.quality?.verdicts.map((v) => [v.name, v.status]),
      [
        ['candidate-failures', 'PASS'],
        ['equivalent-or-better', 'PASS'],
        ['likelihood', 'PASS'],
      ],
      JSON.stringify(result.status.quality?.verdicts.map((v) => v.summary)),
    );
    const floorFile = join(stack.config.stateDir, 'orchestrator', 'floors', 'chat.json');
    assert.ok(existsSync(floorFile));
    const recorded = JSON.parse(readFileSync(floorFile, 'utf8')) as { rolloutId: string; floor: { pairs: number } };
    assert.equal(recorded.rolloutId, id);
    assert.ok(recorded.floor.pairs >= (result.status.quality?.totals.floor?.pairs ?? 1));
    assert.ok(
      result.status.timeline.some((t) => /the route's noise floor starts from \d+ A\/A pairs/.test(t.message)),
      "it started from the first rollout's floor",
    );
  });
});
