// gantry rollout start | status | watch | rollback
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { loadSpec } from '../../config/load-spec';
import { GantryError } from '../../errors';
import { connectClient } from '../../temporal/client';
import { workflowUiLink } from '../../temporal/connection-config';
import { stackConfigFromEnv } from '../../stack/stack-config';
import { temporalEnvFor } from '../../stack/dev-stack';
import { CONTROL_TASK_QUEUE, rollbackSignal, statusQuery } from '../../workflows/messages';
import type { RolloutInput } from '../../workflows/rollout';
import { output, type Output } from '../output';
import { exitCodeForOutcome } from '../exit-codes';
import { preflight } from './preflight';
import { describeRollout, readRollout } from './rollout-handle';
import { formatStatus, progressLine } from './format-status';

const defaultUser = (): string => process.env.GANTRY_USER ?? userInfo().username;

function rolloutIdFor(name: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${name}-${stamp}`;
}

async function withClient<T>(body: (client: Client, link: (id: string) => string) => Promise<T>): Promise<T> {
  const env = temporalEnvFor(stackConfigFromEnv());
  const client = await connectClient(env);
  try {
    return await body(client, (id) => workflowUiLink(env, id));
  } finally {
    await client.connection.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Prints progress until the rollout ends; returns its outcome. */
async function watch(client: Client, id: string, out: Output, intervalMs: number): Promise<string | null> {
  let last = '';
  for (;;) {
    const view = await readRollout(client, id);
    const line = progressLine(view.status, Date.now()).replace(/\d+[smhd]+(\d+[smhd])? left/, '');
    if (line !== last) {
      out.line(`${new Date().toISOString().slice(11, 19)}  ${progressLine(view.status, Date.now())}`);
      last = line;
    }
    if (!view.running) {
      const outcome = view.status.outcome ?? (view.temporalStatus === 'CANCELLED' ? 'Cancelled' : view.temporalStatus === 'TERMINATED' ? 'Failed' : view.status.outcome);
      return outcome;
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
      const rolloutId = options.id ?? rolloutIdFor(spec.name, new Date());
      await withClient(async (client, link) => {
        const input: RolloutInput = { rolloutId, spec, startedBy: options.by };
        try {
          await client.workflow.start('rolloutWorkflow', { workflowId: rolloutId, taskQueue: CONTROL_TASK_QUEUE, args: [input] });
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

  rollout
    .command('rollback <id>')
    .description('roll a running rollout back now: candidate weight 0, teardown, ends RolledBack')
    .requiredOption('--reason <text>', 'why, for the audit log and notifications')
    .option('--by <who>', 'who asks, for the audit log', defaultUser())
    .option('--json', 'print as JSON')
    .action(async (id: string, options: { reason: string; by: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      await withClient(async (client) => {
        const { handle, running } = await describeRollout(client, id);
        if (!running) {
          const status = await readRollout(client, id);
          throw new GantryError('REFUSED', `rollout ${id} has already ended (${status.status.outcome ?? status.temporalStatus}): nothing to roll back`);
        }
        await handle.signal(rollbackSignal, { reason: options.reason, by: options.by });
        const status = await handle.query(statusQuery);
        out.result({ rolloutId: id, signalled: 'rollback', phase: status.phase }, () => `rollback sent to ${id} (was in ${status.phase}); follow it with: gantry rollout watch ${id}`);
      });
    });
}
