// gantry rollout start | status | watch | rollback | revert
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { loadSpec } from '../../config/load-spec';
import { GantryError } from '../../errors';
import { parseDuration } from '../../config/duration';
import {
  advanceUpdate,
  approveUpdate,
  CONTROL_TASK_QUEUE,
  pauseUpdate,
  resumeUpdate,
  rollbackUpdate,
  revertUpdate,
  ROLLOUT_WORKFLOW_TYPE,
  type CommandMeta,
} from '../../workflows/messages';
import type { UpdateDefinition } from '@temporalio/common';
import type { CommandRecord } from '../../workflows/state/rollout-state';
import type { RolloutInput } from '../../workflows/rollout';
import { output, type Output } from '../output';
import { withClient } from '../with-client';
import { ExitCode, exitCodeForOutcome } from '../exit-codes';
import { sendCommand } from './send-command';
import { listQuery, listRollouts, runningRolloutOnRoute } from './list-rollouts';
import { secretWarnings } from './secret-names';
import { rolloutIdProblem } from '../../config/rollout-id';
import { preflight } from './preflight';
import { buildReport, writeReport } from './report-command';
import { hasGantrySearchAttributes, startSearchAttributes, staticDetails, staticSummary } from './visibility-options';
import { qualityPlan } from './quality-preflight';
import { readRollout, rolloutExists } from './rollout-handle';
import { formatStatus, progressLine } from './format-status';

const defaultUser = (): string => process.env.GANTRY_USER ?? userInfo().username;

function rolloutIdFor(name: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${name}-${stamp}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Prints progress until the rollout ends; returns its outcome. */
async function watch(client: Client, id: string, out: Output, intervalMs: number): Promise<string | null> {
  let last = '';
  for (;;) {
    const view = await readRollout(client, id);
    const line = progressLine(view.status, Date.now());
    // Print on change, not on every tick of the time left.
    const gist = line.replace(/\d+[smhd]+(\d+[smhd])? left/, '');
    if (gist !== last) {
      out.line(`${new Date().toISOString().slice(11, 19)}  ${line}`);
      last = gist;
    }
    const kept = view.status.kept;
    if (view.running && view.status.outcome === 'Promoted' && kept && kept.ended === null) {
      // Promoted: the keep window is the operator's to use, not something to wait out here.
      out.line(
        `the previous stable ${kept.deploymentId} serves until ${new Date(kept.until).toISOString()}: gantry rollout revert ${id} --reason … goes back to it`,
      );
      return view.status.outcome;
    }
    if (!view.running) {
      // Terminated or timed out by Temporal itself: the workflow never recorded an outcome.
      return view.status.outcome ?? (view.temporalStatus === 'CANCELLED' ? 'Cancelled' : 'Failed');
    }
    await sleep(intervalMs);
  }
}

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description('start, watch and steer rollouts');

  rollout
    .command('start <spec>')
    .description('validate a rollout spec and start the rollout')
    .option('--id <id>', 'rollout id (default: <name>-<UTC timestamp>)')
    .option('--by <who>', 'who starts it, for the audit log', defaultUser())
    .option('--wait', 'watch until the rollout ends; the exit code tells the outcome')
    .option('--json', 'print as JSON')
    .action(async (specFile: string, options: { id?: string; by: string; wait?: boolean; json?: boolean }) => {
      const out = output(Boolean(options.json));
      const spec = loadSpec(specFile);
      await preflight(spec);
      for (const warning of secretWarnings(spec, process.env)) out.line(warning);
      if (spec.quality) for (const line of qualityPlan(spec.quality)) out.line(line);
      const rolloutId = options.id ?? rolloutIdFor(spec.name, new Date());
      const idProblem = rolloutIdProblem(rolloutId);
      if (idProblem) throw new GantryError('INVALID_SPEC', `--id: ${idProblem}`);
      await withClient(async (client, link) => {
        if (await rolloutExists(client, rolloutId)) throw new GantryError('ROLLOUT_EXISTS', `a rollout with id "${rolloutId}" already exists`);
        const busy = await runningRolloutOnRoute(client, spec.route);
        if (busy) throw new GantryError('REFUSED', `route "${spec.route}" already has a running rollout: ${busy} (roll it back or wait for it to end)`);
        // Summaries and search attributes are never encrypted: with sealed payloads they would show the route.
        const sealed = Boolean(process.env.GANTRY_PAYLOAD_KEY);
        const searchable = !sealed && (await hasGantrySearchAttributes(client));
        const input: RolloutInput = { rolloutId, spec, startedBy: options.by, link: link(rolloutId), ...(searchable ? { searchAttributes: true } : {}) };
        try {
          await client.workflow.start(ROLLOUT_WORKFLOW_TYPE, {
            workflowId: rolloutId,
            taskQueue: CONTROL_TASK_QUEUE,
            args: [input],
            memo: { route: spec.route },
            ...(sealed ? {} : { staticSummary: staticSummary(spec), staticDetails: staticDetails(spec) }),
            ...(searchable ? { typedSearchAttributes: startSearchAttributes(spec) } : {}),
          });
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) throw new GantryError('ROLLOUT_EXISTS', `a rollout with id "${rolloutId}" already exists`);
          throw error;
        }
        if (!options.wait) {
          out.result({ rolloutId, link: link(rolloutId) }, () => `started rollout ${rolloutId}\nWeb UI: ${link(rolloutId)}`);
          return;
        }
        out.line(`started rollout ${rolloutId}\nWeb UI: ${link(rolloutId)}`);
        const outcome = await watch(client, rolloutId, out, 2_000);
        const view = await readRollout(client, rolloutId);
        out.result(view.status, () => formatStatus(view.status, Date.now(), link(rolloutId)));
        process.exitCode = exitCodeForOutcome(outcome);
      });
    });

  rollout
    .command('validate <spec>')
    .description('check a spec and the files it names, and print what its quality metrics need, without starting anything')
    .option('--json', 'print as JSON')
    .action(async (specFile: string, options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const spec = loadSpec(specFile);
      await preflight(spec);
      const warnings = secretWarnings(spec, process.env);
      const plan = spec.quality ? qualityPlan(spec.quality) : [];
      out.result({ valid: true, name: spec.name, route: spec.route, plan, warnings }, () =>
        [`${specFile}: valid (rollout ${spec.name} on route ${spec.route})`, ...warnings, ...plan].join('\n'),
      );
    });

  rollout
    .command('status <id>')
    .description("a rollout's phase, step, weights, verdicts, QA report and audit log")
    .option('--json', 'print as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      await withClient(async (client, link) => {
        const view = await readRollout(client, id);
        out.result(view.status, () => formatStatus(view.status, Date.now(), link(id)));
      });
    });

  rollout
    .command('report <id>')
    .description('one self-contained HTML report of a rollout: phases, weight and measurements over time, rules, QA, quality, shadow pairs')
    .option('--out <file>', 'where to write the HTML', 'rollout-report.html')
    .option('--json', 'print the report data as JSON instead of writing HTML')
    .action(async (id: string, options: { out: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      await withClient(async (client) => {
        const data = await buildReport(client, id);
        if (options.json) return out.result(data, () => '');
        const file = writeReport(data, options.out);
        out.line(`report of ${id} (${data.intervals} intervals, ${data.charts.length} charts) written to ${file}`);
        for (const note of data.notes) out.line(`  note: ${note}`);
      });
    });

  rollout
    .command('watch <id>')
    .description('follow a rollout live until it ends; the exit code tells the outcome')
    .option('--interval <seconds>', 'seconds between checks', '2')
    .option('--json', 'print the final status as JSON')
    .action(async (id: string, options: { interval: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      await withClient(async (client, link) => {
        const outcome = await watch(client, id, out, Math.max(0.2, Number(options.interval) || 2) * 1000);
        const view = await readRollout(client, id);
        out.result(view.status, () => formatStatus(view.status, Date.now(), link(id)));
        process.exitCode = exitCodeForOutcome(outcome);
      });
    });

  type Sent = { requestId: string | null; command: string; accepted: boolean; message: string };
  const report = (out: Output, id: string, record: Sent): void => {
    out.result({ rolloutId: id, ...record }, () => `${record.accepted ? 'accepted' : 'refused'}: ${record.message}`);
    if (!record.accepted) process.exitCode = ExitCode.REFUSED;
  };
  const operatorCommand = (
    name: string,
    description: string,
    update: UpdateDefinition<CommandRecord, [CommandMeta & { force?: boolean; kind?: 'immediate' | 'gradual'; over?: string | number }]>,
    extra?: (cmd: Command) => Command,
  ) => {
    let cmd = rollout
      .command(`${name} <id>`)
      .description(description)
      .option('--by <who>', 'who asks, for the audit log', defaultUser())
      .option('--json', 'print as JSON');
    cmd =
      name === 'rollback' || name === 'revert'
        ? cmd.requiredOption('--reason <text>', 'why, for the audit log and notifications')
        : cmd.option('--reason <text>', 'why, for the audit log');
    if (extra) cmd = extra(cmd);
    cmd.action(
      async (id: string, options: { by: string; reason?: string; force?: boolean; json?: boolean; gradual?: boolean; immediate?: boolean; over?: string }) => {
        const out = output(Boolean(options.json));
        const kind = rollbackKindOption(options);
        await withClient(async (client) => {
          const record = await sendCommand(client, id, name, update, {
            by: options.by,
            reason: options.reason,
            ...(options.force ? { force: true } : {}),
            ...(kind ? { kind } : {}),
            ...(options.over !== undefined ? { over: options.over } : {}),
          });
          report(out, id, record);
        });
      },
    );
  };
  operatorCommand(
    'rollback',
    'roll a running rollout back: candidate weight 0 (at once, or stepped down with --gradual), teardown, ends RolledBack',
    rollbackUpdate,
    (cmd) =>
      cmd
        .option('--gradual', "step the candidate's weight down over --over (or the spec's rollbackPolicy.over), still judged")
        .option('--immediate', 'weight 0 at once, whatever the spec says; during a gradual rollback, finishes it now')
        .option('--over <duration>', 'how long a gradual rollback takes, e.g. 10m (needs --gradual)'),
  );
  operatorCommand('pause', 'pause: traffic and step timers freeze; analysis goes on and a breach still rolls back', pauseUpdate);
  operatorCommand('resume', 'resume a paused rollout: the current wait continues with its remaining time', resumeUpdate);
  operatorCommand('advance', 'end the current wait (a step, or the shadow phase) now', advanceUpdate, (cmd) =>
    cmd.option('--force', 'advance even if the latest analysis failed or the shadow lacks its pairs'),
  );
  operatorCommand('approve', 'release a manual gate: a step with `advance: manual`, or promotion when approval is required', approveUpdate);
  operatorCommand(
    'revert',
    'after a promotion with promotion.keepPrevious: the route back to the previous stable at once, then the promoted server stopped; ends RolledBack',
    revertUpdate,
  );

  rollout
    .command('list')
    .description('rollouts, running and finished, with route, outcome and age; filtered by Gantry’s search attributes')
    .option('--limit <n>', 'at most this many, newest first', '50')
    .option('--route <route>', 'only this route')
    .option('--phase <phase>', 'only rollouts in this phase (Shadow, Canary, …)')
    .option('--outcome <outcome>', 'only this outcome (Promoted, RolledBack, Failed, Cancelled)')
    .option('--since <duration>', 'only rollouts started within this long (e.g. 7d)')
    .option('--json', 'print as JSON')
    .action(async (options: { limit: string; route?: string; phase?: string; outcome?: string; since?: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      const sinceMs = options.since === undefined ? undefined : durationOption('--since', options.since);
      const filters = { route: options.route, phase: options.phase, outcome: options.outcome, sinceMs };
      const filtered = options.route !== undefined || options.phase !== undefined || options.outcome !== undefined;
      await withClient(async (client) => {
        if (filtered && !(await hasGantrySearchAttributes(client))) {
          throw new GantryError(
            'REFUSED',
            'filtering by route, phase or outcome needs Gantry’s search attributes on this cluster (`gantry dev up` registers them; see the README)',
          );
        }
        const rows = await listRollouts(client, Math.max(1, Number(options.limit) || 50), listQuery(filters, Date.now()));
        out.result(rows, () =>
          rows.length === 0
            ? 'no rollouts yet'
            : rows.map((r) => `${r.rolloutId.padEnd(40)} ${r.route.padEnd(12)} ${(r.outcome ?? r.temporalStatus).padEnd(11)} ${r.age}`).join('\n'),
        );
      });
    });
}

function durationOption(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new GantryError('INVALID_SPEC', `${flag}: ${(error as Error).message}`);
  }
}

/** --gradual / --immediate / --over, checked before anything is sent: a usage error exits 2. */
function rollbackKindOption(options: { gradual?: boolean; immediate?: boolean; over?: string }): 'immediate' | 'gradual' | undefined {
  if (options.gradual && options.immediate) throw new GantryError('INVALID_SPEC', 'rollback: give --gradual or --immediate, not both');
  if (options.over !== undefined) {
    if (!options.gradual) throw new GantryError('INVALID_SPEC', 'rollback: --over needs --gradual');
    if (durationOption('--over', options.over) <= 0) throw new GantryError('INVALID_SPEC', '--over: must be longer than 0');
  }
  return options.gradual ? 'gradual' : options.immediate ? 'immediate' : undefined;
}
