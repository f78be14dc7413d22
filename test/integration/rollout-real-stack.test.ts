// Real rollouts on the real stack: Temporal dev server, orchestrator worker, host agent, gateway,
// llama-server with Gemma 3 270M and llama-quantize — all on free ports, stopped by pid at the end.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRealStack, type RealStack, serverRecords } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import type { RolloutStatus } from '../../src/workflows/state/status-view';
import { rolloutWithTraffic as rolloutOn, waitForPhase as waitForPhaseOn } from '../helpers/real-rollout-driver';
import { isAlive } from '../../src/hosts/process-control';
import { ExitCode } from '../../src/cli/exit-codes';

let stack: RealStack;

before(async () => {
  stack = await startRealStack();
});
after(async () => {
  await stack?.stop();
});

const waitForPhase = (id: string, phase: RolloutStatus['phase']): Promise<RolloutStatus> => waitForPhaseOn(stack.client, id, phase);
const rolloutWithTraffic = (id: string, specFile: string, promptFile: string, trafficMs: number) =>
  rolloutOn(stack, stack.client, id, specFile, promptFile, trafficMs);

describe('a real rollout on the real stack', () => {
  it('promotes a Q8_0 candidate quantized from the real model, with every phase in its history', async () => {
    const { result, traffic } = await rolloutWithTraffic('it-promote', writeSpec(compressedSpec('chat')), 'chat.jsonl', 22_000);
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.ok(traffic.ok > 20, `traffic: ${JSON.stringify(traffic)}`);
    assert.ok((traffic.byVariant.candidate ?? 0) > 0, 'some live traffic reached the candidate');

    const status = result.status;
    assert.equal(status.qa?.passedGate, true);
    assert.ok((status.qa?.accuracy ?? 0) >= 0.5);
    assert.equal(status.artifact?.quantType, 'Q8_0');
    assert.ok((status.shadowTotals.pairs ?? 0) >= 3, 'shadow pairs were recorded');
    assert.equal(status.evaluation?.promote, true);

    // the gateway now serves the candidate as stable, with no candidate and weight 0
    const route = await stack.gateway.getRoute('chat');
    assert.equal(route?.stable.deployment?.id, 'it-promote-candidate');
    assert.equal(route?.candidate, undefined);
    assert.equal(route?.weight, 0);
    // shadow pairs hold both answers to the same prompt
    const pairs = await stack.gateway.recentPairs('chat', 5);
    assert.ok(pairs.length > 0);
    assert.ok(pairs.every((p) => p.stable.status === 200 && p.candidate.status === 200 && typeof p.candidate.answer === 'string'));

    // the old stable's server is stopped; the new stable's is running
    const servers = serverRecords(stack.config);
    assert.deepEqual(
      servers.map((s) => s.deploymentId),
      ['it-promote-candidate'],
    );
    assert.ok(isAlive(servers[0]?.pid as number));

    // each phase's activities are in the workflow history
    const history = await stack.client.workflow.getHandle('it-promote').fetchHistory();
    const activities = new Set((history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean));
    for (const name of [
      'getRoute',
      'quantizeModel',
      'startModelServer',
      'runQaSuite',
      'stopModelServer',
      'createRoute',
      'setCandidateTraffic',
      'collectMeasurements',
      'routeHealth',
      'promoteCandidate',
      'annotateArtifact',
    ]) {
      assert.ok(activities.has(name), `history lacks ${name}: ${[...activities].join(', ')}`);
    }

    const cli = await stack.cli(['rollout', 'status', 'it-promote']);
    assert.equal(cli.exitCode, 0);
    assert.match(String(cli.stdout), /phase\s+Promoted/);
  });

  it('rolls a candidate whose context window is too small back in the shadow phase, before users see it', async () => {
    // Long prompts keep the stable busy (~1 answered per second here), so windows are 5 s long and
    // 2 mirrored answers are enough to judge one: fewer would leave every window Inconclusive.
    const base = compressedSpec('chat', {});
    const spec = compressedSpec('chat', {
      name: 'it-short-context',
      qa: undefined,
      shadow: { duration: '60s', sampleRate: 1, minPairs: 1 },
      analysis: { ...base.analysis, interval: '5s', rollback: { maxErrorRate: 0.2, minRequests: 2 } },
    });
    spec.candidate = { ...spec.candidate, server: { ...(spec.candidate.server ?? {}), contextSize: 256 } };
    const { result } = await rolloutWithTraffic('it-short-context', writeSpec(spec), 'support-long-context.jsonl', 25_000);
    assert.equal(result.outcome, 'RolledBack');
    assert.match(result.reason, /^shadow analysis: candidate error rate \d+\.\d% \(max 20\.0%\)/);
    assert.equal(result.status.step, -1);
    const route = await stack.gateway.getRoute('chat');
    assert.equal(route?.candidate, undefined);
    assert.equal(route?.weight, 0);
    assert.equal(route?.stable.deployment?.id, 'it-promote-candidate', 'the stable is untouched');
    const servers = readFileSync(join(stack.config.stateDir, 'hosts/local/servers.json'), 'utf8');
    assert.ok(!servers.includes('it-short-context-candidate'), 'the candidate server was stopped');
  });

  it('takes an operator rollback from the CLI during the shadow phase', async () => {
    const spec = compressedSpec('chat', { name: 'it-operator', qa: undefined, shadow: { duration: '10m', sampleRate: 1 } });
    const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', 'it-operator']);
    assert.equal(start.exitCode, 0, String(start.stderr));
    assert.match(String(start.stdout), /started rollout it-operator\nWeb UI: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/it-operator/);
    await waitForPhase('it-operator', 'Shadow');
    const rollback = await stack.cli(['rollout', 'rollback', 'it-operator', '--reason', 'pager: latency alarms', '--by', 'oncall-ops']);
    assert.equal(rollback.exitCode, 0, String(rollback.stderr));
    const watch = await stack.cli(['rollout', 'watch', 'it-operator', '--interval', '0.5']);
    assert.equal(watch.exitCode, ExitCode.ROLLED_BACK);
    assert.match(String(watch.stdout), /reason\s+operator rollback by oncall-ops: pager: latency alarms/);
    assert.match(String(watch.stdout), /oncall-ops: rollback — pager: latency alarms/);
    const route = await stack.gateway.getRoute('chat');
    assert.equal(route?.candidate, undefined);
    assert.equal(route?.shadowRate, 0);

    const again = await stack.cli(['rollout', 'rollback', 'it-operator', '--reason', 'twice']);
    assert.equal(again.exitCode, ExitCode.REFUSED);
    assert.match(String(again.stderr), /has already ended \(RolledBack\): nothing to roll back/);
  });

  it('fails with the server log when llama-server never becomes healthy, leaving nothing running', async () => {
    const spec = compressedSpec('chat', { name: 'it-unhealthy', qa: undefined });
    spec.candidate = { ...spec.candidate, quantize: undefined, readyTimeout: '200ms' };
    const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', 'it-unhealthy', '--wait']);
    assert.equal(start.exitCode, ExitCode.FAILED, String(start.stdout));
    const status = await stack.cli(['rollout', 'status', 'it-unhealthy', '--json']);
    const view = JSON.parse(String(status.stdout)) as RolloutStatus;
    assert.equal(view.outcome, 'Failed');
    assert.equal(view.failureType, 'SERVER_NOT_HEALTHY');
    assert.match(view.reason ?? '', /llama\.cpp server not healthy after \d+s: .*\|/);
    const servers = readFileSync(join(stack.config.stateDir, 'hosts/local/servers.json'), 'utf8');
    assert.ok(!servers.includes('it-unhealthy'));
    const route = await stack.gateway.getRoute('chat');
    assert.equal(route?.candidate, undefined);
  });
});
