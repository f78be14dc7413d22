// Answer quality on the real stack with real models: a SmolLM2 judge served for the rollout by the
// host agent and audited with both orders under llama-server's grammar (its audit says how good it
// is), reverse-shadow pairs in the canary, and scoring that survives kill -9 of the orchestrator
// mid-batch without counting a pair twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startRealStack, type RealStack, serverRecords } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { trafficUntil, waitForPhase } from '../helpers/real-rollout-driver';
import { toolPath } from '../../src/config/toolchain';
import { devUp, temporalEnvFor } from '../../src/stack/dev-stack';
import { connectClient } from '../../src/temporal/client';
import type { RolloutResult } from '../../src/workflows/rollout';
import type { ScoreRecord } from '../../src/activities/quality';
import type { ShadowPair } from '../../src/gateway/pair-store';
import type { RolloutSpecInput } from '../../src/config/spec';
import proto from '@temporalio/proto';

const { PendingActivityState } = proto.temporal.api.enums.v1;

let stack: RealStack;
let client: Client;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  stack = await startRealStack();
  client = stack.client;
});
after(async () => {
  if (client !== stack?.client) await client?.connection.close();
  await stack?.stop();
});

/** Four audit examples keep the audit short: 15 items, judged in both orders. */
function smallAuditFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gantry-audit-')), 'audit.jsonl');
  const examples = [
    { prompt: 'How many legs does a spider have?', answer: 'A spider has 8 legs.' },
    { prompt: 'What is the capital of France?', answer: 'The capital of France is Paris.' },
    { prompt: 'How many minutes are in an hour?', answer: 'An hour has 60 minutes.' },
    { prompt: 'Who wrote the play Hamlet?', answer: 'Hamlet was written by William Shakespeare around 1600.' },
  ];
  writeFileSync(file, examples.map((e) => JSON.stringify(e)).join('\n'));
  return file;
}

function qualitySpec(name: string, audit: { minTieRate: number; minLossRate: number }, quantType = 'Q8_0'): RolloutSpecInput {
  const spec = compressedSpec('chat', {
    name,
    qa: undefined,
    shadow: { duration: '20s', sampleRate: 1, minPairs: 1 },
    canary: { steps: [{ weight: 50, duration: '20s' }] },
    quality: {
      onInconclusive: 'promote',
      reverseShadowRate: 1,
      // A judge-call budget bounds how long the batches take on two shared cores.
      judge: {
        serve: { model: toolPath('smollm2Model'), threads: 1 },
        model: 'judge',
        timeout: '20s',
        maxCallsPerHour: 80,
        audit: { examples: smallAuditFile(), ...audit },
      },
      metrics: [
        { name: 'judge', kind: 'judge', minN: 50 },
        { name: 'candidate-failures', kind: 'failures', margin: 0.1, minN: 40, critical: false },
      ],
    },
  });
  // The judge and the reverse shadow share two cores with the variants: latency is not what is tested here.
  const analysis = { interval: '2s', failureLimit: 2, rollback: { maxErrorRate: 0.2, minRequests: 3 }, promote: { minSamples: 3 } };
  return { ...spec, analysis, candidate: { ...spec.candidate, quantize: { type: quantType } } };
}

const qualityDir = (id: string): string => join(stack.config.stateDir, 'orchestrator', 'quality', id);
function scoreRecords(id: string): ScoreRecord[] {
  return readdirSync(qualityDir(id))
    .filter((f) => f.startsWith('batch-'))
    .flatMap((f) =>
      readFileSync(join(qualityDir(id), f), 'utf8')
        .split('\n')
        .filter(Boolean),
    )
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as ScoreRecord];
      } catch {
        return [];
      }
    });
}

async function allPairs(id: string): Promise<ShadowPair[]> {
  const pairs: ShadowPair[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await stack.gateway.pairRange('chat', id, after, 1000);
    pairs.push(...page.pairs);
    if (page.pairs.length < 1000) return pairs;
    after = page.next;
  }
}

describe('answer quality on the real stack', () => {
  it('audits a SmolLM2 judge in both orders under the grammar — its audit says what it is worth — and scores reverse-shadow pairs in the canary', async () => {
    const id = 'it-quality-judge';
    const start = await stack.cli(['rollout', 'start', writeSpec(qualitySpec('it-quality-judge', { minTieRate: 0.9, minLossRate: 0.8 })), '--id', id]);
    assert.equal(start.exitCode, 0, String(start.stderr));
    assert.match(String(start.stdout), /quality judge: a 10-point margin needs about 151 non-tie judgments/);
    await waitForPhase(client, id, 'Shadow');
    const ended = client.workflow.getHandle(id).result() as Promise<RolloutResult>;
    const traffic = trafficUntil(stack.gatewayUrl, ended);
    const result = await ended;
    await traffic;
    assert.equal(result.outcome, 'Promoted', result.reason);

    const quality = result.status.quality;
    const audit = quality?.judge.audit;
    assert.ok(audit, 'the judge was audited before anything it said was counted');
    assert.match(audit.identity, /^sha256:[0-9a-f]{16} \(smollm2-135m-instruct/);
    assert.equal(audit.passed, false, `a 135M judge should not pass: ${audit.summary}`);
    const verdict = quality.verdicts.find((v) => v.name === 'judge');
    assert.equal(verdict?.status, 'NO DATA');
    assert.match(verdict?.summary ?? '', /failed its audit/);

    // Both orders, one grammar-constrained letter each, the probabilities where the server gave them.
    const auditLog = JSON.parse(readFileSync(join(qualityDir(id), 'judge-audit.json'), 'utf8')) as {
      items: { calls: { order: string; token: string | null; probabilities: unknown }[] }[];
    };
    assert.equal(auditLog.items.length, 15);
    for (const item of auditLog.items) {
      assert.deepEqual(
        item.calls.map((c) => c.order),
        ['stable-first', 'candidate-first'],
      );
      for (const call of item.calls) assert.ok(call.token === 'A' || call.token === 'B' || call.token === 'T', `off-grammar: ${JSON.stringify(call)}`);
    }
    assert.ok(
      auditLog.items.some((i) => i.calls.some((c) => c.probabilities !== null)),
      'llama-server returned the letters’ probabilities',
    );

    // The canary's reverse shadow: the user got the candidate's answer, the stable's was mirrored.
    const pairs = await allPairs(id);
    const reverse = pairs.filter((p) => p.direction === 'reverse');
    assert.ok(reverse.length > 0, `no reverse pairs among ${pairs.length}`);
    assert.ok(reverse.every((p) => p.candidateDeploymentId === `${id}-candidate`));
    assert.ok(
      reverse.some((p) => typeof p.stable.answer === 'string' && typeof p.candidate.answer === 'string'),
      'both answers to the same prompt',
    );
    assert.ok((quality.totals.canary.pairs ?? 0) > 0);

    // The judge served for the rollout is gone with it.
    const servers = readFileSync(join(stack.config.stateDir, 'hosts/local/servers.json'), 'utf8');
    assert.ok(!servers.includes(`${id}-judge`));
  });

  it('resumes scoring after kill -9 of the orchestrator mid-batch, counting every pair once and judging none twice', async () => {
    const id = 'it-quality-kill';
    // Audit thresholds at 0: the judge is trusted, so batches call it and take long enough to be cut.
    // A Q2_K candidate answers differently from the stable far more often than Q8_0: more to judge.
    const start = await stack.cli(['rollout', 'start', writeSpec(qualitySpec('it-quality-kill', { minTieRate: 0, minLossRate: 0 }, 'Q2_K')), '--id', id]);
    assert.equal(start.exitCode, 0, String(start.stderr));
    await waitForPhase(client, id, 'Shadow');
    let finished: () => void = () => undefined;
    const traffic = trafficUntil(stack.gatewayUrl, new Promise<void>((resolve) => (finished = resolve)));

    // Wait for a scoring batch to be running, with some judged pairs already written. The judge's
    // server is then frozen (SIGSTOP), so the batch cannot end before the worker is killed: on a fast
    // machine a batch could otherwise finish between the look and the kill, and nothing be cut.
    const handle = client.workflow.getHandle(id);
    const scoringRunning = async (): Promise<boolean> =>
      ((await handle.describe()).raw.pendingActivities ?? []).some(
        (a) => a.activityType?.name === 'scorePairs' && a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      );
    const judgePid = (): number => {
      const judge = serverRecords(stack.config).find((server) => server.deploymentId === `${id}-judge`);
      if (!judge) throw new Error(`no judge server for ${id} in servers.json`);
      return judge.pid;
    };
    const deadline = Date.now() + 90_000;
    let frozen: number;
    for (;;) {
      if ((await scoringRunning()) && scoreRecords(id).some((r) => r.judge !== null)) {
        frozen = judgePid();
        process.kill(frozen, 'SIGSTOP');
        // Still running with its judge frozen: the batch is waiting on a judge call.
        await sleep(1_000);
        if (await scoringRunning()) break;
        process.kill(frozen, 'SIGCONT');
      }
      if (Date.now() > deadline) throw new Error('no scoring batch with judged pairs was seen running');
      await sleep(100);
    }
    const orchestrator = stack.processes.find((p) => p.name === 'orchestrator');
    assert.ok(orchestrator);
    process.kill(orchestrator.pid, 'SIGKILL');
    await sleep(1_000);
    process.kill(frozen, 'SIGCONT');
    const restarted = await devUp(stack.config, () => undefined);
    const worker = restarted.find((p) => p.name === 'orchestrator');
    assert.ok(worker && worker.pid !== orchestrator.pid, 'dev up started only the orchestrator again');
    client = await connectClient(temporalEnvFor(stack.config));

    const result = (await client.workflow.getHandle(id).result()) as RolloutResult;
    finished();
    await traffic;
    assert.equal(result.outcome, 'Promoted', result.reason);
    const history = await client.workflow.getHandle(id).fetchHistory();
    const retried = (history.events ?? []).some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
    assert.ok(retried, 'a scoring batch was retried after the kill');

    const records = scoreRecords(id);
    const distinct = new Set(records.map((r) => r.pairId));
    const quality = result.status.quality;
    assert.equal(quality?.scored, distinct.size, `scored ${quality?.scored}, distinct pairs in the score files ${distinct.size}`);
    // Every scored pair is in one total: shadow, the canary's reverse shadow, or the noise floor's A/A pairs.
    assert.equal((quality?.totals.shadow.pairs ?? 0) + (quality?.totals.canary.pairs ?? 0) + (quality?.totals.floor?.pairs ?? 0), quality?.scored);
    const recordedPairs = new Set((await allPairs(id)).map((p) => p.pairId));
    assert.ok(
      [...distinct].every((pairId) => recordedPairs.has(pairId)),
      'every scored pair is one the gateway recorded for this rollout',
    );
    const judged = records.filter((r) => r.judge !== null);
    assert.equal(new Set(judged.map((r) => r.pairId)).size, judged.length, 'no pair judged twice');
    assert.ok(judged.length > 0);
  });
});
