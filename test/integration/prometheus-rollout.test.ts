// Rollouts judged through the embedded stack's Prometheus, on the real stack with the real model:
// `dev up` starts Prometheus scraping the gateway and the host agent's llama-servers, the
// orchestrator reads every analysis window from it, and a Prometheus that dies mid-canary gives
// Error windows, a pause and a CRITICAL alert — never a rollback — until `dev up` brings back only
// what is missing and an operator resumes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRealStack, type RealStack, serverRecords } from '../helpers/real-stack';
import { compressedSpec, REAL_STACK_PROMOTE_RULES, writeSpec } from '../helpers/real-models';
import { prompts, rolloutWithTraffic, waitForPhase, waitForStatus } from '../helpers/real-rollout-driver';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { openInChromium } from '../helpers/chromium';
import { PrometheusProvider } from '../../src/activities/prometheus-provider';
import { pidListeningOn } from '../../src/stack/find-processes';
import { prometheusUrl } from '../../src/stack/stack-config';
import { replay } from '../../src/cli/traffic/replay';
import { ExitCode } from '../../src/cli/exit-codes';
import type { ServerRecord } from '../../src/hosts/server-supervisor';
import type { RolloutResult } from '../../src/workflows/rollout';

let stack: RealStack;
let hooks: WebhookReceiver;
let prometheus: PrometheusProvider;

before(async () => {
  stack = await startRealStack({ metricSource: 'prometheus' });
  hooks = await startWebhookReceiver();
  prometheus = new PrometheusProvider(prometheusUrl(stack.config), 'gantry-gateway');
});
after(async () => {
  await hooks?.close();
  await stack?.stop();
});

const servers = (): ServerRecord[] => serverRecords(stack.config);
const analysis = {
  interval: '4s',
  failureLimit: 2,
  consecutiveErrorLimit: 3,
  rollback: { maxErrorRate: 0.2, minRequests: 2 },
  promote: REAL_STACK_PROMOTE_RULES,
};

/** A custom rule a good candidate passes: its errors (and the mirrored ones) over the last interval. */
const CANDIDATE_ERRORS = {
  name: 'candidate-errors',
  provider: 'prometheus',
  query: 'sum(increase(gantry_gateway_analysis_errors_total{route="{{route}}",variant=~"candidate|shadow"}[{{interval}}])) or vector(0)',
  failureCondition: 'result > 2',
} as const;

describe('rollouts judged through the stack’s Prometheus', () => {
  it('promotes a good candidate on windows read with PromQL; Prometheus scrapes the gateway and both llama-servers', async () => {
    const status = await stack.cli(['dev', 'status']);
    assert.match(String(status.stdout), /prometheus\s+pid \d+\s+port \d+\s+healthy/);
    assert.match(String(status.stdout), /orchestrator .*metrics from prometheus/);

    const spec = compressedSpec('chat', {
      name: 'it-prom',
      qa: undefined,
      shadow: { duration: '12s', sampleRate: 1, minPairs: 3 },
      canary: { steps: [{ weight: 50, duration: '12s' }] },
      // Chosen in the spec too, with a custom PromQL rule judged beside the built-in ones, and rules
      // on the answers' speed, length and cost (the candidate priced as a GPU of our own).
      analysis: {
        ...analysis,
        provider: 'prometheus',
        metrics: [CANDIDATE_ERRORS],
        rollback: { ...analysis.rollback, minTokensPerSecond: 1, maxTokensPerRequestRatio: 3, maxCostPerRequestRatio: 3 },
        cost: { stable: { inputPer1k: 0.5, outputPer1k: 1.5 }, candidate: { perGpuHour: 1.2 } },
      },
    });
    const { result, traffic } = await rolloutWithTraffic(stack, stack.client, 'it-prom', writeSpec(spec), 'chat.jsonl', 40_000);
    assert.equal(result.outcome, 'Promoted', result.reason);
    assert.deepEqual(traffic.errorsByVariant, {}, JSON.stringify(traffic));
    assert.deepEqual(
      result.status.metrics.map((m) => [m.name, m.verdict]),
      [['candidate-errors', 'Pass']],
    );
    assert.ok(result.status.timeline.some((t) => /metric sources answer: the prometheus measurements and 1 custom metric/.test(t.message)));
    const judged = result.status.recentVerdicts.filter((v) => v.verdict === 'Pass');
    assert.ok(judged.length >= 2, `passing windows: ${JSON.stringify(result.status.recentVerdicts)}`);
    assert.ok(
      judged.some((v) => v.candidateRequests > 0),
      'a window judged candidate traffic read from Prometheus',
    );
    // Tokens counted by the gateway, read back through PromQL, and judged.
    const answerChecks = judged.flatMap((v) => v.checks).filter((c) => ['tokens per second', 'tokens per request', 'cost per request'].includes(c.name));
    for (const name of ['tokens per second', 'tokens per request', 'cost per request']) {
      const measured = answerChecks.filter((c) => c.name === name && c.value !== null);
      assert.ok(measured.length > 0 && measured.every((c) => c.ok === true), `${name}: ${JSON.stringify(answerChecks)}`);
    }
    const speed = answerChecks.find((c) => c.name === 'tokens per second' && c.value !== null);
    assert.ok((speed?.value ?? 0) > 1, String(speed?.detail));

    // What the windows were read from: the gateway's counters, and the model servers by deployment.
    const now = Date.now();
    const served = await prometheus.instant('sum by (variant) (gantry_gateway_analysis_latency_seconds_count{route="chat"})', now);
    const byVariant: Record<string, number> = Object.fromEntries(served.map((s) => [s.metric.variant ?? '', s.value]));
    assert.ok((byVariant.stable ?? 0) > 0 && (byVariant.candidate ?? 0) > 0, JSON.stringify(byVariant));
    const up = await prometheus.instant('up{job="gantry-model-servers"}', now);
    const deployments = up.filter((s) => s.value === 1).map((s) => s.metric.deployment);
    assert.ok(deployments.includes('it-prom-candidate'), `model servers up: ${JSON.stringify(up.map((s) => s.metric))}`);

    // The report: the interval record, the custom metric and tokens/s from Prometheus, drawn in Chromium.
    const out = join(mkdtempSync(join(tmpdir(), 'gantry-report-')), 'it-prom.html');
    const report = await stack.cli(['rollout', 'report', 'it-prom', '--out', out]);
    assert.equal(report.exitCode, 0, String(report.stderr));
    assert.match(String(report.stdout), /^report of it-prom \((\d+) intervals, (\d+) charts\) written to /);
    const page = await openInChromium(out);
    assert.deepEqual(page.consoleErrors, []);
    assert.ok(page.charts >= 5, `charts: ${page.charts}\n${String(report.stdout)}`);
    assert.equal(page.inkedCanvases, page.canvases);
    assert.match(page.text, /Custom metric: candidate-errors/);
    assert.match(page.text, /Output tokens per second/);
    assert.match(page.text, /Output tokens per second of answering, per interval/);
    assert.match(page.text, /evaluation\s+candidate samples\s+PASS/);
    const json = await stack.cli(['rollout', 'report', 'it-prom', '--json']);
    const data = JSON.parse(String(json.stdout)) as { intervals: number; pairs: unknown[] };
    assert.equal(data.intervals, result.status.analyses, 'every analysis is in the record');
    assert.ok(data.pairs.length > 0, 'shadow pairs side by side');
    const unknown = await stack.cli(['rollout', 'report', 'no-such-rollout']);
    assert.equal(unknown.exitCode, ExitCode.NOT_FOUND);
    assert.equal(String(unknown.stderr).trim(), 'gantry: no rollout with id "no-such-rollout" (list them in the Web UI, or check the id)');
  });

  it('gives Error windows, a pause and a CRITICAL alert when Prometheus dies mid-canary — never a rollback — and goes on after dev up and resume', async () => {
    const spec = compressedSpec('chat', {
      name: 'it-prom-down',
      qa: undefined,
      shadow: undefined,
      canary: { steps: [{ weight: 50, duration: '30s' }] },
      analysis,
      notifications: { webhooks: [{ url: hooks.url, format: 'json', minLevel: 'WARNING' }] },
    });
    spec.candidate = { ...spec.candidate, quantize: undefined };
    const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', 'it-prom-down']);
    assert.equal(start.exitCode, 0, String(start.stderr));
    await waitForPhase(stack.client, 'it-prom-down', 'Canary');
    const traffic = replay(
      prompts('chat.jsonl'),
      { route: 'chat', rate: 2, durationMs: 120_000, maxInFlight: 4, maxTokens: 8, baseUrl: stack.gatewayUrl },
      () => undefined,
    );
    await waitForStatus(stack.client, 'it-prom-down', (s) => s.lastVerdict?.verdict === 'Pass', 'a passing window');

    const pid = pidListeningOn(stack.config.prometheusPort);
    assert.ok(pid !== undefined, 'Prometheus listens on its port');
    process.kill(pid, 'SIGKILL');

    const paused = await waitForStatus(stack.client, 'it-prom-down', (s) => s.paused !== null, 'a pause', 90_000);
    assert.equal(paused.paused?.by, 'gantry');
    assert.equal(paused.lastVerdict?.verdict, 'Error');
    assert.match(paused.lastVerdict?.summary ?? '', /^metrics unavailable: Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable: ECONNREFUSED/);
    assert.equal(paused.outcome, null);
    assert.equal(paused.weight, 50, 'nothing moved');
    const errors = paused.recentVerdicts.filter((v) => v.verdict === 'Error').length;
    assert.ok(errors >= 3, `Error windows before the pause: ${errors}`);
    assert.ok(!paused.recentVerdicts.some((v) => v.verdict === 'Fail'), 'a window that could not be read is never a Fail');
    const alert = await hooks.waitFor((n) => n.rolloutId === 'it-prom-down' && n.event === 'paused' && n.level === 'CRITICAL');
    assert.match(alert.message, /without usable evidence/);
    const down = await stack.cli(['dev', 'status']);
    assert.equal(down.exitCode, ExitCode.UNAVAILABLE);
    assert.match(String(down.stdout), /prometheus\s+pid -\s+port \d+\s+DOWN/);

    // `dev up` starts only what is missing; the candidate's server is not started a second time.
    const candidates = servers().filter((s) => s.deploymentId === 'it-prom-down-candidate').length;
    const up = await stack.cli(['dev', 'up']);
    assert.equal(up.exitCode, 0, String(up.stderr));
    const lines = String(up.stdout);
    assert.match(lines, /starting Prometheus/);
    assert.equal((lines.match(/already running/g) ?? []).length, 4, lines);
    assert.equal(servers().filter((s) => s.deploymentId === 'it-prom-down-candidate').length, candidates);

    const resume = await stack.cli(['rollout', 'resume', 'it-prom-down', '--by', 'oncall']);
    assert.equal(resume.exitCode, 0, String(resume.stdout) + String(resume.stderr));
    const result = (await stack.client.workflow.getHandle('it-prom-down').result()) as RolloutResult;
    const report = await traffic;
    assert.equal(result.outcome, 'Promoted', result.reason);
    const verdicts = result.status.recentVerdicts.map((v) => v.verdict);
    const resumedWith = verdicts.slice(verdicts.lastIndexOf('Error') + 1);
    assert.ok(resumedWith.includes('Pass'), `windows after the resume: ${verdicts.join(', ')}`);
    assert.deepEqual(report.errorsByVariant, {}, `users saw errors: ${JSON.stringify(report)}`);
  });

  it('rolls back a candidate whose PromQL rule fails, naming the rule and its value', async () => {
    const spec = compressedSpec('chat', {
      name: 'it-prom-slow',
      qa: undefined,
      shadow: { duration: '30s', sampleRate: 1, minPairs: 3 },
      canary: { steps: [{ weight: 50, duration: '12s' }] },
      analysis: {
        ...analysis,
        metrics: [
          CANDIDATE_ERRORS,
          // No 270M model on two cores writes 100,000 tokens a second.
          {
            name: 'tokens-per-second',
            provider: 'prometheus',
            query: 'sum(rate(gantry_gateway_tokens_total{route="{{route}}",direction="output"}[{{interval}}])) or vector(0)',
            successCondition: 'result >= 100000',
          },
        ],
      },
    });
    spec.candidate = { ...spec.candidate, quantize: undefined };
    const { result } = await rolloutWithTraffic(stack, stack.client, 'it-prom-slow', writeSpec(spec), 'chat.jsonl', 40_000);
    assert.equal(result.outcome, 'RolledBack', result.reason);
    assert.match(result.reason, /metric tokens-per-second = [\d.e+-]+ \(success when result >= 100000\): failed 1 time in a row \(failureLimit 1\)/);
    assert.equal(result.status.weight, 0);
  });

  it('refuses a spec whose PromQL does not parse, or whose provider is unknown, with one line and exit 2, starting nothing', async () => {
    const broken = compressedSpec('chat', {
      name: 'it-prom-broken',
      qa: undefined,
      analysis: { ...analysis, metrics: [{ ...CANDIDATE_ERRORS, query: 'sum(rate(gantry_gateway_tokens_total[1m]' }] },
    });
    const start = await stack.cli(['rollout', 'start', writeSpec(broken), '--id', 'it-prom-broken']);
    assert.equal(start.exitCode, ExitCode.INVALID_INPUT, String(start.stdout));
    const message = String(start.stderr).trim();
    assert.equal(message.split('\n').length, 1, message);
    assert.match(message, /analysis\.metrics candidate-errors: Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the query \(400\): .*parse error/);
    const status = await stack.cli(['rollout', 'status', 'it-prom-broken']);
    assert.equal(status.exitCode, ExitCode.NOT_FOUND, 'no rollout was started');

    const unknown = writeSpec(
      compressedSpec('chat', {
        name: 'it-prom-unknown',
        qa: undefined,
        analysis: { ...analysis, metrics: [{ ...CANDIDATE_ERRORS, provider: 'datadog' as 'prometheus' }] },
      }),
    );
    const refused = await stack.cli(['rollout', 'start', unknown]);
    assert.equal(refused.exitCode, ExitCode.INVALID_INPUT);
    assert.match(String(refused.stderr).trim(), /^gantry: .*analysis\.metrics\[0\]\.provider: unknown provider/);
  });
});
