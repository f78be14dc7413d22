// Never judged against a dead stable, on the real stack with the real model: the same spec twice
// with `dev down` and `dev up` between (the second run finds the stable its host agent restarted,
// and users never see a stable error), and a stable killed mid-canary (Error windows, a pause and a
// CRITICAL alert, no promotion).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startRealStack, type RealStack, serverRecords } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { prompts, rolloutWithTraffic, waitForPhase, waitForStatus } from '../helpers/real-rollout-driver';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { devDown, devUp, temporalEnvFor } from '../../src/stack/dev-stack';
import { connectClient } from '../../src/temporal/client';
import { isAlive } from '../../src/hosts/process-control';
import { replay } from '../../src/cli/traffic/replay';
import { ExitCode } from '../../src/cli/exit-codes';
import type { ServerRecord } from '../../src/hosts/server-supervisor';

let stack: RealStack;
let client: Client;
let hooks: WebhookReceiver;
const healthInterval = process.env.GANTRY_GATEWAY_HEALTH_INTERVAL_MS;

before(async () => {
  // Probe the upstreams every second, so a dead stable is seen within a few seconds.
  process.env.GANTRY_GATEWAY_HEALTH_INTERVAL_MS = '1000';
  // A host agent that brings back no crashed server: the stable killed below stays dead, as a
  // crash-looping one does once the agent gives up on it (model-server-crash.test.ts).
  process.env.GANTRY_HOST_CRASH_LIMIT = '0';
  stack = await startRealStack();
  client = stack.client;
  hooks = await startWebhookReceiver();
});
after(async () => {
  delete process.env.GANTRY_HOST_CRASH_LIMIT;
  if (healthInterval === undefined) delete process.env.GANTRY_GATEWAY_HEALTH_INTERVAL_MS;
  else process.env.GANTRY_GATEWAY_HEALTH_INTERVAL_MS = healthInterval;
  await hooks?.close();
  if (client !== stack?.client) await client?.connection.close();
  await stack?.stop();
});

const servers = (): ServerRecord[] => serverRecords(stack.config);

describe('a dead stable on the real stack', () => {
  const spec = compressedSpec('chat', { name: 'it-twice', qa: undefined });

  it('runs the same spec twice with dev down and dev up between: both promoted, the stable restarted, no user error', async () => {
    const first = await rolloutWithTraffic(stack, client, 'it-twice-1', writeSpec(spec), 'chat.jsonl', 20_000);
    assert.equal(first.result.outcome, 'Promoted', first.result.reason);
    const stableBefore = servers().find((s) => s.deploymentId === 'it-twice-1-candidate');
    assert.ok(stableBefore, 'the promoted candidate serves as the stable');

    const stopped = await devDown(stack.config, () => undefined);
    assert.ok(stopped.includes('it-twice-1-candidate'), `dev down stopped ${stopped.join(', ')}`);
    assert.ok(!isAlive(stableBefore.pid));
    await devUp(stack.config, () => undefined);
    client = await connectClient(temporalEnvFor(stack.config));
    // What holds keys, prompts and histories is the owner's only.
    const modeOf = (path: string): string => (statSync(join(stack.config.stateDir, path)).mode & 0o777).toString(8);
    assert.deepEqual(['.', 'temporal.sqlite', 'admin-token', 'gateway/routes.json', 'gateway/pairs'].map(modeOf), ['700', '600', '600', '600', '700']);

    const second = await rolloutWithTraffic(stack, client, 'it-twice-2', writeSpec(spec), 'chat.jsonl', 20_000);
    assert.equal(second.result.outcome, 'Promoted', second.result.reason);
    const stable = second.result.status.stable;
    assert.ok(stable && stable.deploymentId === 'it-twice-1-candidate' && (stable.found === 'healthy' || stable.found === 'restored'), JSON.stringify(stable));
    assert.deepEqual(second.traffic.errorsByVariant, {}, `users saw errors: ${JSON.stringify(second.traffic)}`);
    assert.ok((second.traffic.byVariant.stable ?? 0) > 10, JSON.stringify(second.traffic));
    const shadow = second.result.status.shadowTotals;
    assert.ok(shadow.stable.requests > 0 && shadow.stable.errors === 0, `stable in the shadow phase: ${JSON.stringify(shadow.stable)}`);
    assert.equal(second.result.status.excludedWindows, 0);
  });

  it('pauses and alerts when the stable server dies mid-canary, and never promotes', async () => {
    const canarySpec = compressedSpec('chat', {
      name: 'it-stable-dies',
      qa: undefined,
      shadow: undefined,
      canary: { steps: [{ weight: 50, duration: '10m' }] },
      analysis: { interval: '2s', failureLimit: 2, consecutiveErrorLimit: 3, baseline: { minRequests: 2 }, rollback: { maxErrorRate: 0.2, minRequests: 2 } },
      notifications: { webhooks: [{ url: hooks.url, format: 'json', minLevel: 'WARNING' }] },
    });
    canarySpec.candidate = { ...canarySpec.candidate, quantize: undefined };
    const start = await stack.cli(['rollout', 'start', writeSpec(canarySpec), '--id', 'it-stable-dies']);
    assert.equal(start.exitCode, 0, String(start.stderr));
    await waitForPhase(client, 'it-stable-dies', 'Canary');
    const traffic = replay(
      prompts('chat.jsonl'),
      { route: 'chat', rate: 2, durationMs: 30_000, maxInFlight: 4, maxTokens: 8, baseUrl: stack.gatewayUrl },
      () => undefined,
    );
    await waitForStatus(client, 'it-stable-dies', (s) => s.lastVerdict?.verdict === 'Pass', 'a passing window');

    const stable = servers().find((s) => s.deploymentId === 'it-twice-2-candidate');
    assert.ok(stable, 'the stable the first test promoted');
    process.kill(stable.pid, 'SIGKILL');

    const paused = await waitForStatus(client, 'it-stable-dies', (s) => s.paused !== null, 'a pause', 60_000);
    assert.equal(paused.paused?.by, 'gantry');
    assert.equal(paused.lastVerdict?.verdict, 'Error');
    assert.equal(paused.lastVerdict?.baselineHealthy, false);
    assert.match(paused.lastVerdict?.summary ?? '', /^baseline unhealthy: /);
    assert.ok(
      paused.warnings.some((w) => /the route's stable is (down|unhealthy)/.test(w)),
      paused.warnings.join('; '),
    );
    assert.equal(paused.outcome, null);
    assert.equal(paused.weight, 50, 'nothing moved');
    await traffic;
    const alert = hooks.received.find((n) => n.rolloutId === 'it-stable-dies' && n.event === 'paused' && n.level === 'CRITICAL');
    assert.ok(alert, JSON.stringify(hooks.received));
    assert.match(alert.message, /without usable evidence/);

    const status = await stack.cli(['rollout', 'status', 'it-stable-dies']);
    assert.match(String(status.stdout), /WARNING\s+the route's stable is (down|unhealthy)/);
    const devStatus = await stack.cli(['dev', 'status']);
    assert.equal(devStatus.exitCode, ExitCode.UNAVAILABLE);
    assert.match(String(devStatus.stdout), /WARNING route chat: its stable http:\/\/127\.0\.0\.1:\d+\/v1 is DOWN/);

    const rollback = await stack.cli(['rollout', 'rollback', 'it-stable-dies', '--reason', 'stable died', '--by', 'oncall']);
    assert.equal(rollback.exitCode, 0, String(rollback.stdout) + String(rollback.stderr));
    const watch = await stack.cli(['rollout', 'watch', 'it-stable-dies', '--interval', '0.5']);
    assert.equal(watch.exitCode, ExitCode.ROLLED_BACK);
  });
});
