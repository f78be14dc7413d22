// Operators and schedulers on the real stack: CLI commands and their exit codes, the pause as
// Prometheus sees it through the orchestrator's gauges, a malformed payload sent with the
// `temporal` CLI, one rollout per route, and a Temporal Schedule that advances a step (schedules
// need the real server).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { startRealStack, type RealStack } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { ExitCode } from '../../src/cli/exit-codes';
import { statusQuery } from '../../src/workflows/messages';
import { toolPath } from '../../src/config/toolchain';
import type { RolloutStatus } from '../../src/workflows/state/status-view';

let stack: RealStack;
before(async () => {
  stack = await startRealStack();
});
after(async () => {
  await stack?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
async function statusOf(id: string): Promise<RolloutStatus> {
  return stack.client.workflow.getHandle(id).query(statusQuery);
}
async function until(id: string, done: (s: RolloutStatus) => boolean, timeoutMs = 90_000): Promise<RolloutStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await statusOf(id);
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`still ${status.phase} step ${status.step}, waiting for ${status.waitingFor ?? '-'}`);
    await sleep(200);
  }
}
const json = (stdout: unknown): Record<string, unknown> => JSON.parse(String(stdout)) as Record<string, unknown>;

interface PromVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}
async function promQuery(query: string): Promise<PromVectorSample[]> {
  const response = await fetch(`http://127.0.0.1:${stack.config.prometheusPort}/api/v1/query?query=${encodeURIComponent(query)}`);
  return ((await response.json()) as { data: { result: PromVectorSample[] } }).data.result;
}
/** What `probe` finds, once it finds something; the orchestrator refreshes its gauges every 10 s. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`not seen in ${timeoutMs / 1000}s`);
    await sleep(500);
  }
}

describe('operators and schedulers on the real stack', () => {
  const id = 'it-lifecycle';
  const spec = compressedSpec('lifecycle', {
    name: 'it-lifecycle',
    qa: undefined,
    shadow: undefined,
    canary: {
      steps: [
        { weight: 20, duration: '1s', advance: 'schedule' },
        { weight: 50, duration: '10m' },
      ],
    },
  });
  spec.candidate = { ...spec.candidate, quantize: undefined };

  it('starts a rollout, and refuses a second one on the same route', async () => {
    const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', id]);
    assert.equal(start.exitCode, 0, String(start.stderr));
    await until(id, (s) => s.phase === 'Canary');
    const second = await stack.cli(['rollout', 'start', writeSpec({ ...spec, name: 'it-other' }), '--id', 'it-other']);
    assert.equal(second.exitCode, ExitCode.REFUSED);
    assert.equal(String(second.stderr).trim(), `gantry: route "lifecycle" already has a running rollout: ${id} (roll it back or wait for it to end)`);
    const list = await stack.cli(['rollout', 'list', '--json']);
    const rows = JSON.parse(String(list.stdout)) as { rolloutId: string; route: string; temporalStatus: string }[];
    assert.deepEqual(rows.find((r) => r.rolloutId === id) && { route: 'lifecycle', temporalStatus: 'RUNNING' }, {
      route: 'lifecycle',
      temporalStatus: 'RUNNING',
    });
  });

  it('answers pause, resume, advance and approve with exit codes that tell accepted from refused', async () => {
    const pause = await stack.cli(['rollout', 'pause', id, '--by', 'alice', '--reason', 'checking dashboards', '--json']);
    assert.equal(pause.exitCode, 0, String(pause.stderr));
    assert.equal(json(pause.stdout).accepted, true);
    const again = await stack.cli(['rollout', 'pause', id]);
    assert.equal(again.exitCode, ExitCode.REFUSED);
    assert.equal(String(again.stdout).trim(), 'refused: already paused by alice');
    // The orchestrator tells Prometheus who paused it and since when: what "paused too long" alerts on.
    const pausedSeries = await eventually(async () => {
      const series = await promQuery(`gantry_rollout_paused_since_timestamp_seconds{rollout="${id}"}`);
      return series.length === 1 ? series[0] : undefined;
    });
    assert.deepEqual(
      { route: pausedSeries.metric.route, by: pausedSeries.metric.paused_by, job: pausedSeries.metric.job },
      { route: 'lifecycle', by: 'alice', job: 'gantry-orchestrator' },
    );
    const pausedAt = (await statusOf(id)).paused?.since ?? 0;
    assert.equal(Number(pausedSeries.value[1]), pausedAt / 1000);
    const advance = await stack.cli(['rollout', 'advance', id]);
    assert.equal(advance.exitCode, ExitCode.REFUSED);
    assert.match(String(advance.stdout), /refused: the rollout is paused: resume it first/);
    const approve = await stack.cli(['rollout', 'approve', id]);
    assert.equal(approve.exitCode, ExitCode.REFUSED);
    assert.match(String(approve.stdout), /refused: nothing is waiting for approval/);
    const resume = await stack.cli(['rollout', 'resume', id, '--by', 'alice']);
    assert.equal(resume.exitCode, 0);
    const exporter = `http://127.0.0.1:${stack.config.orchestratorMetricsPort}/metrics`;
    const gauges = await eventually(async () => {
      const text = await (await fetch(exporter)).text();
      return text.includes('gantry_rollout_paused_since_timestamp_seconds{') ? undefined : text;
    });
    assert.match(gauges, new RegExp(`^gantry_rollout_info\\{rollout="${id}",route="lifecycle",phase="Canary"\\} 1$`, 'm'));
    assert.match(gauges, /^gantry_rollouts_read_ok 1$/m);
    const status = await stack.cli(['rollout', 'status', id, '--json']);
    const audit = (json(status.stdout).audit as { by: string; action: string }[]).map((a) => `${a.by}:${a.action}`);
    assert.deepEqual(audit, ['integration-test:start', 'alice:pause', 'alice:resume']);
    for (const command of ['pause', 'resume', 'advance', 'approve']) {
      const unknown = await stack.cli(['rollout', command, 'no-such-rollout']);
      assert.equal(unknown.exitCode, ExitCode.NOT_FOUND, command);
    }
  });

  it('refuses a malformed payload sent with the temporal CLI, leaving the rollout unharmed', async () => {
    const before = await statusOf(id);
    const address = `127.0.0.1:${stack.config.temporalPort}`;
    const sent = await execa(toolPath('temporal'), ['workflow', 'signal', '--address', address, '-w', id, '--name', 'pause', '--input', '"please pause"'], {
      reject: false,
    });
    assert.equal(sent.exitCode, 0, String(sent.stderr));
    const after = await until(id, (s) => s.commands.length > before.commands.length);
    const record = after.commands.at(-1);
    assert.equal(record?.accepted, false);
    assert.equal(record?.message, 'pause: the payload must be a JSON object, got string');
    assert.equal(after.paused, null);
    assert.equal(after.outcome, null);
    const rollbackWithoutReason = await execa(
      toolPath('temporal'),
      ['workflow', 'signal', '--address', address, '-w', id, '--name', 'rollback', '--input', '{"by": "mallory"}'],
      { reject: false },
    );
    assert.equal(rollbackWithoutReason.exitCode, 0);
    const later = await until(id, (s) => s.commands.length > after.commands.length);
    assert.equal(later.commands.at(-1)?.message, 'rollback: a "reason" is required');
    assert.equal(later.outcome, null);
  });

  it('lets a Temporal Schedule end a step whose policy is `advance: schedule`', async () => {
    const waiting = await until(id, (s) => s.wait?.endsOn === 'advance');
    assert.equal(waiting.step, 0);
    assert.equal(waiting.waitingFor, 'a scheduled advance to leave step 1 (20%)');
    const created = await stack.cli(['schedule', 'advance', id, '--every', '2s', '--json']);
    assert.equal(created.exitCode, 0, String(created.stderr));
    const scheduleId = String(json(created.stdout).scheduleId);
    assert.ok(scheduleId.startsWith(`${id}.advance.`));
    const listed = await stack.cli(['schedule', 'list', '--rollout', id, '--json']);
    assert.deepEqual(
      (JSON.parse(String(listed.stdout)) as { scheduleId: string }[]).map((s) => s.scheduleId),
      [scheduleId],
    );
    const moved = await until(id, (s) => s.step === 1 && s.weight === 50, 30_000);
    assert.equal(moved.weight, 50);
    // the next firing finds a step that only time may end, and is refused
    const refused = await until(id, (s) => s.commands.some((c) => c.by === `schedule:${scheduleId}` && !c.accepted), 30_000);
    assert.match(
      refused.commands.find((c) => !c.accepted && c.by.startsWith('schedule:'))?.message ?? '',
      /a schedule may only end waits of steps with "advance: schedule"/,
    );
  });

  it("rolls back gradually from the CLI: the gateway's weight steps down, then the rollout's schedules are removed and commands refused", async () => {
    const rollback = await stack.cli(['rollout', 'rollback', id, '--reason', 'test over', '--gradual', '--over', '8s', '--json']);
    assert.equal(rollback.exitCode, 0, String(rollback.stderr));
    // What the gateway itself serves, read while the rollout steps down from 50%.
    const seen = new Set<number>();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const route = await stack.gateway.getRoute('lifecycle');
      if (!route?.candidate) break;
      seen.add(route.weight);
      await sleep(100);
    }
    assert.deepEqual(
      [...seen].filter((w) => w < 50),
      [40, 30, 20, 10],
      `weights seen: ${[...seen].join(', ')}`,
    );
    const watch = await stack.cli(['rollout', 'watch', id, '--interval', '0.3']);
    assert.equal(watch.exitCode, ExitCode.ROLLED_BACK);
    const status = await statusOf(id);
    assert.equal(status.reason, `operator rollback by ${String(json(rollback.stdout).by)}: test over`);
    assert.equal(status.gradualRollback?.done, 4);
    const listed = await stack.cli(['schedule', 'list', '--rollout', id, '--json']);
    assert.deepEqual(JSON.parse(String(listed.stdout)), []);
    const advance = await stack.cli(['rollout', 'advance', id]);
    assert.equal(advance.exitCode, ExitCode.REFUSED);
    assert.match(String(advance.stderr), /rollout it-lifecycle has already ended \(RolledBack\): nothing to advance/);
    const list = await stack.cli(['rollout', 'list', '--json']);
    const row = (JSON.parse(String(list.stdout)) as { rolloutId: string; outcome: string }[]).find((r) => r.rolloutId === id);
    assert.equal(row?.outcome, 'RolledBack');
  });
});
