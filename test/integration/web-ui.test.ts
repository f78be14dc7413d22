// A rollout in the Temporal Web UI, opened in real headless Chromium against the dev server `gantry
// dev up` runs: its static summary and details, its current details while it waits, and Gantry's
// search attributes, which `temporal workflow list --query` and `gantry rollout list` filter by.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { startRealStack, type RealStack } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { prompts, waitForStatus } from '../helpers/real-rollout-driver';
import { replay } from '../../src/cli/traffic/replay';
import { pageShowing } from '../helpers/chromium';
import { toolPath } from '../../src/config/toolchain';
import { ExitCode } from '../../src/cli/exit-codes';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import type { RolloutResult } from '../../src/workflows/rollout';

let stack: RealStack;
before(async () => {
  stack = await startRealStack();
});
after(async () => {
  await stack?.stop();
});

const ID = 'it-webui';

describe('rollouts in the Temporal Web UI', () => {
  it('shows a summary, details and current details, and is found by route, phase and outcome', async () => {
    const spec = compressedSpec('webui', {
      name: 'it-webui',
      qa: undefined,
      shadow: undefined,
      canary: { steps: [{ weight: 50, duration: '4s', advance: 'manual' }] },
      analysis: { interval: '2s', rollback: { maxErrorRate: 0.5, minRequests: 1 }, promote: { minSamples: 0 } },
    });
    spec.candidate = { ...spec.candidate, quantize: undefined };
    const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', ID]);
    assert.equal(start.exitCode, 0, String(start.stderr));
    // Users' traffic, so that the canary has evidence to be evaluated on.
    const stop = new AbortController();
    const traffic = replay(
      prompts('chat.jsonl'),
      { route: 'webui', rate: 2, durationMs: 300_000, maxInFlight: 2, maxTokens: 8, baseUrl: stack.gatewayUrl, signal: stop.signal },
      () => undefined,
    );
    await waitForStatus(stack.client, ID, (s) => s.wait?.kind === 'gate' && s.canaryTotals.candidate.requests > 0, 'the approval gate', 180_000);

    const handle = stack.client.workflow.getHandle(ID);
    const description = await handle.describe();
    const summary = await description.staticSummary();
    assert.match(summary ?? '', /^rollout it-webui: .*\.gguf on route webui$/);
    assert.equal(description.typedSearchAttributes.get(ROLLOUT_SEARCH_ATTRIBUTES.phase), 'Canary');

    // The Web UI, as an operator opens it: the summary, the static details and the current details.
    const ui = `http://127.0.0.1:${stack.config.temporalUiPort}/namespaces/default/workflows/${ID}`;
    const text = await pageShowing(ui, [summary ?? '', 'Route webui', 'approval to leave step 1 (50%)'], ['User Metadata']);
    assert.match(text, /Canary · canary step 1 of 1 · candidate weight 50%/);
    // Its timeline (the page's first tab) names what each activity and timer is for.
    const timeline = await pageShowing(ui, ['gate after canary step 1 at 50%: until the next analysis']);
    assert.match(timeline, /collectMeasurements • collect window \d\d:\d\d:\d\d–\d\d:\d\d:\d\d/);

    const temporal = toolPath('temporal');
    const address = `127.0.0.1:${stack.config.temporalPort}`;
    const inCanary = await execa(temporal, [
      'workflow',
      'list',
      '--address',
      address,
      '--query',
      "GantryRoute = 'webui' AND GantryPhase = 'Canary'",
      '-o',
      'json',
    ]);
    assert.match(inCanary.stdout, new RegExp(`"workflowId": "${ID}"`));

    const approve = await stack.cli(['rollout', 'approve', ID, '--by', 'ops']);
    assert.equal(approve.exitCode, 0, String(approve.stderr));
    const result = (await handle.result()) as RolloutResult;
    stop.abort();
    await traffic;
    assert.equal(result.outcome, 'Promoted', result.reason);

    const listed = await stack.cli(['rollout', 'list', '--route', 'webui', '--outcome', 'Promoted', '--since', '1h', '--json']);
    assert.equal(listed.exitCode, 0, String(listed.stderr));
    assert.deepEqual(
      (JSON.parse(String(listed.stdout)) as { rolloutId: string }[]).map((r) => r.rolloutId),
      [ID],
    );
    const rolledBack = await stack.cli(['rollout', 'list', '--route', 'webui', '--outcome', 'RolledBack', '--json']);
    assert.deepEqual(JSON.parse(String(rolledBack.stdout)), []);
    const promoted = await execa(temporal, [
      'workflow',
      'list',
      '--address',
      address,
      '--query',
      "GantryOutcome = 'Promoted' AND GantryPhase = 'Promoted'",
      '-o',
      'json',
    ]);
    assert.match(promoted.stdout, new RegExp(`"workflowId": "${ID}"`));
    const badSince = await stack.cli(['rollout', 'list', '--since', 'a week']);
    assert.equal(badSince.exitCode, ExitCode.INVALID_INPUT);
  });
});
