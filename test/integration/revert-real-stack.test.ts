// A way back after promotion, on the real stack with the real model: a rollout with
// `promotion.keepPrevious` promotes, the replaced llama-server keeps serving, and `gantry rollout
// revert` sends the route back to it at once and stops the promoted one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startRealStack, type RealStack, serverRecords } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { prompts, waitForPhase, waitForStatus } from '../helpers/real-rollout-driver';
import { replay } from '../../src/cli/traffic/replay';
import { isAlive } from '../../src/hosts/process-control';
import type { ServerRecord } from '../../src/hosts/server-supervisor';
import type { RolloutResult } from '../../src/workflows/rollout';
import { ExitCode } from '../../src/cli/exit-codes';

let stack: RealStack;
before(async () => {
  stack = await startRealStack();
});
after(async () => {
  await stack?.stop();
});

const servers = (): ServerRecord[] => serverRecords(stack.config);

describe('revert after promotion on the real stack', () => {
  it('keeps the previous stable serving after promotion, and reverts to it at once', async () => {
    const id = 'it-revert';
    const spec = compressedSpec('revert', { name: 'it-revert', qa: undefined, promotion: { keepPrevious: '10m' } });
    const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', id]);
    assert.equal(start.exitCode, 0, String(start.stderr));
    await waitForPhase(stack.client, id, 'Shadow');
    await replay(
      prompts('chat.jsonl'),
      { route: 'revert', rate: 2, durationMs: 20_000, maxInFlight: 4, maxTokens: 8, baseUrl: stack.gatewayUrl },
      () => undefined,
    );
    const promoted = await waitForStatus(stack.client, id, (s) => s.outcome === 'Promoted', 'Promoted', 180_000);
    const previous = servers().find((s) => s.deploymentId === promoted.kept?.deploymentId);
    const candidate = servers().find((s) => s.deploymentId === `${id}-candidate`);
    assert.ok(previous && isAlive(previous.pid), 'the previous stable still serves');
    assert.ok(candidate && isAlive(candidate.pid));
    assert.equal((await stack.gateway.getRoute('revert'))?.stable.url, candidate.endpoint);

    const status = await stack.cli(['rollout', 'status', id]);
    assert.match(
      String(status.stdout),
      /^previous {2}revert-stable-it-revert at http:\/\/127\.0\.0\.1:\d+\/v1: serving until .*\(gantry rollout revert it-revert --reason …\)$/m,
    );
    const revert = await stack.cli(['rollout', 'revert', id, '--reason', 'users report worse answers', '--by', 'oncall']);
    assert.equal(revert.exitCode, 0, String(revert.stderr));
    assert.match(String(revert.stdout), /accepted: revert requested by oncall: users report worse answers/);

    const result = (await stack.client.workflow.getHandle(id).result()) as RolloutResult;
    assert.equal(result.outcome, 'RolledBack');
    assert.equal(result.reason, 'reverted after promotion by oncall: users report worse answers');
    assert.equal((await stack.gateway.getRoute('revert'))?.stable.url, previous.endpoint, 'the route is back on the previous stable');
    assert.ok(!isAlive(candidate.pid), 'the promoted server is stopped');
    assert.ok(isAlive(previous.pid));
    const client = new OpenAI({ baseURL: `${stack.gatewayUrl}/v1`, apiKey: 'x', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'revert', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 4 });
    assert.ok(answer.choices[0], 'users are served by the previous stable');

    const again = await stack.cli(['rollout', 'revert', id, '--reason', 'twice']);
    assert.notEqual(again.exitCode, 0);

    // The route's stables: created from the spec, promoted by the rollout, reverted by it.
    const history = await stack.cli(['route', 'history', 'revert', '--json']);
    assert.equal(history.exitCode, 0, String(history.stderr));
    const entries = JSON.parse(String(history.stdout)) as { change: string; rolloutId: string | null; endpoint: string; artifact: string | null }[];
    assert.deepEqual(
      entries.map((e) => [e.change, e.rolloutId, e.endpoint]),
      [
        ['created', null, previous.endpoint],
        ['promoted', id, candidate.endpoint],
        ['reverted', id, previous.endpoint],
      ],
    );
    assert.match(entries[1]?.artifact ?? '', /it-revert\/.*\.Q8_0\.gguf$/, 'the promoted artifact');
    assert.equal(entries[2]?.artifact, entries[0]?.artifact, 'the reverted server serves the file it served before');
    const text = await stack.cli(['route', 'history', 'revert']);
    assert.match(String(text.stdout), /reverted by it-revert +http:/);
    const unknown = await stack.cli(['route', 'history', 'no-such-route']);
    assert.equal(unknown.exitCode, ExitCode.NOT_FOUND);
    assert.equal(String(unknown.stderr).trim(), 'gantry: no route "no-such-route" has been recorded by the gateway');
  });
});
