// Model servers that die on their own, on the real stack with the real model: the host agent brings
// a crashed candidate back on its port while the canary goes on, and users see no error (the
// gateway answers the gap from stable); one that crashes again is left down as crash-looping (the
// stack's limit is one revival here), the candidate is rolled back, and still no user sees an error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRealStack, type RealStack, serverRecords } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { prompts, waitForPhase, waitForStatus } from '../helpers/real-rollout-driver';
import { replay, type ReplayReport } from '../../src/cli/traffic/replay';
import { isAlive } from '../../src/hosts/process-control';
import type { ServerRecord } from '../../src/hosts/server-supervisor';
import type { RolloutResult } from '../../src/workflows/rollout';

let stack: RealStack;
before(async () => {
  process.env.GANTRY_HOST_CRASH_LIMIT = '1';
  stack = await startRealStack();
});
after(async () => {
  delete process.env.GANTRY_HOST_CRASH_LIMIT;
  await stack?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const servers = (): ServerRecord[] => serverRecords(stack.config);
const hostAgentLog = (): string => readFileSync(join(stack.config.stateDir, 'logs/host-agent.log'), 'utf8');

async function eventually<T>(probe: () => T | undefined, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} in ${timeoutMs / 1000}s`);
    await sleep(250);
  }
}

describe('model servers that die on their own', () => {
  const id = 'it-crash';
  const candidateId = `${id}-candidate`;
  const spec = compressedSpec('chat', {
    name: id,
    qa: undefined,
    shadow: undefined,
    canary: { steps: [{ weight: 50, duration: '10m' }] },
    // Tolerant of the seconds a revival takes; the gateway's breaker still cuts off a dead candidate.
    analysis: { interval: '2s', failureLimit: 30, rollback: { maxErrorRate: 0.2, minRequests: 2 } },
    // A window long enough that the answers before a kill outweigh those failed while the server
    // restarts (seconds on a busy machine), yet one that stays down fills it with failures.
    gateway: { breaker: { window: 40, maxErrorRate: 0.5, minRequests: 10 } },
  });
  spec.candidate = { ...spec.candidate, quantize: undefined };
  const stopTraffic = new AbortController();
  let traffic: Promise<ReplayReport>;

  it('brings a crashed candidate back on its port: the canary goes on and users see no error', async () => {
    const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', id]);
    assert.equal(start.exitCode, 0, String(start.stderr));
    await waitForPhase(stack.client, id, 'Canary');
    traffic = replay(
      prompts('chat.jsonl'),
      { route: 'chat', rate: 2, durationMs: 300_000, maxInFlight: 4, maxTokens: 8, baseUrl: stack.gatewayUrl, signal: stopTraffic.signal },
      () => undefined,
    );
    await waitForStatus(
      stack.client,
      id,
      (s) => s.lastVerdict?.verdict === 'Pass' && s.canaryTotals.candidate.requests >= 20,
      'passing windows with 20 candidate answers',
    );

    const before = servers().find((s) => s.deploymentId === candidateId);
    assert.ok(before, JSON.stringify(servers()));
    process.kill(before.pid, 'SIGKILL');
    const killedAt = Date.now();
    const revived = await eventually(() => servers().find((s) => s.deploymentId === candidateId && s.revivals !== undefined), 'revival');
    assert.notEqual(revived.pid, before.pid);
    assert.equal(revived.port, before.port, 'back on the port the route points at');
    assert.equal(revived.revivals, 1);
    assert.ok(isAlive(revived.pid));
    assert.match(hostAgentLog(), /model server died on its own: brought back/);

    // Judged again on the revived server's answers, still at its weight.
    const after = await waitForStatus(
      stack.client,
      id,
      (s) => s.lastVerdict?.verdict === 'Pass' && s.lastVerdict.at > killedAt + 1_000 && s.lastVerdict.candidateRequests > 0,
      'a passing window after the revival',
    );
    assert.equal(after.weight, 50);
    assert.equal(after.outcome, null);
  });

  it('leaves a server that crashes again down, and the candidate is rolled back: no user sees an error', async () => {
    const once = servers().find((s) => s.deploymentId === candidateId);
    assert.ok(once);
    process.kill(once.pid, 'SIGKILL');
    const result = (await stack.client.workflow.getHandle(id).result()) as RolloutResult;
    stopTraffic.abort();
    const report = await traffic;
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /circuit breaker open|error rate/, result.reason);
    assert.match(hostAgentLog(), /model server keeps crashing: left down until it is started again/);
    assert.equal(
      servers().find((s) => s.deploymentId === candidateId),
      undefined,
      'the rollback stopped the deployment on purpose',
    );
    assert.deepEqual(report.errorsByVariant, {}, `users saw errors: ${JSON.stringify(report)}`);
    assert.ok((report.byVariant.stable ?? 0) > 0, JSON.stringify(report));
  });
});
