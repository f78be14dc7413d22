// gantry schedule advance | list | delete: Temporal Schedules that advance a rollout on a calendar.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ScheduleNotFoundError } from '@temporalio/client';
import { GantryError } from '../../errors';
import { parseDuration } from '../../config/duration';
import { CONTROL_TASK_QUEUE, SCHEDULED_ADVANCE_WORKFLOW_TYPE } from '../../workflows/messages';
import { scheduleIdPrefix } from '../../activities/schedules';
import type { ScheduledAdvanceInput } from '../../workflows/scheduled-advance';
import { describeRollout } from '../rollout/rollout-handle';
import { output } from '../output';
import { withClient } from '../with-client';

export interface ScheduleRow {
  scheduleId: string;
  rolloutId: string;
  spec: string;
  nextRun: string | null;
  paused: boolean;
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('advance rollouts on a calendar (steps with `advance: schedule`)');

  schedule
    .command('advance <rolloutId>')
    .description('create a schedule that advances the rollout, e.g. --cron "0 9-17 * * MON-FRI" (UTC) or --every 1d')
    .option('--cron <expression>', 'cron expression (UTC)')
    .option('--every <duration>', 'interval, e.g. 6h, 1d')
    .option('--json', 'print as JSON')
    .action(async (rolloutId: string, options: { cron?: string; every?: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      if (Boolean(options.cron) === Boolean(options.every)) throw new GantryError('INVALID_SPEC', 'give exactly one of --cron or --every');
      let every: number | undefined;
      if (options.every) {
        try {
          every = parseDuration(options.every);
        } catch (error) {
          throw new GantryError('INVALID_SPEC', `--every: ${(error as Error).message}`);
        }
      }
      await withClient(async (client) => {
        const { running } = await describeRollout(client, rolloutId);
        if (!running) throw new GantryError('REFUSED', `rollout ${rolloutId} has ended: nothing to schedule`);
        const scheduleId = `${scheduleIdPrefix(rolloutId)}${randomBytes(3).toString('hex')}`;
        const args: [ScheduledAdvanceInput] = [{ rolloutId, scheduleId }];
        try {
          await client.schedule.create({
            scheduleId,
            spec: options.cron ? { cronExpressions: [options.cron] } : { intervals: [{ every: every as number }] },
            action: {
              type: 'startWorkflow',
              workflowType: SCHEDULED_ADVANCE_WORKFLOW_TYPE,
              taskQueue: CONTROL_TASK_QUEUE,
              args,
              workflowId: `${scheduleId}.run`,
            },
            memo: { rolloutId },
          });
        } catch (error) {
          throw new GantryError('INVALID_SPEC', `the schedule was refused: ${(error as Error).message.split('\n')[0]}`);
        }
        const next = (await client.schedule.getHandle(scheduleId).describe()).info.nextActionTimes[0];
        out.result(
          { scheduleId, rolloutId, nextRun: next?.toISOString() ?? null },
          () => `created schedule ${scheduleId}; next advance ${next?.toISOString() ?? 'not planned'}`,
        );
      });
    });

  schedule
    .command('list')
    .description('schedules that advance rollouts')
    .option('--rollout <id>', 'only this rollout')
    .option('--json', 'print as JSON')
    .action(async (options: { rollout?: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      await withClient(async (client) => {
        const rows: ScheduleRow[] = [];
        for await (const summary of client.schedule.list()) {
          const rolloutId = (summary.memo as { rolloutId?: string } | undefined)?.rolloutId;
          if (!rolloutId || (options.rollout && rolloutId !== options.rollout)) continue;
          const spec = summary.spec;
          const text = spec?.calendars?.length
            ? 'calendar'
            : spec?.intervals?.length
              ? `every ${spec.intervals.map((i) => String(i.every)).join(', ')}`
              : 'cron';
          rows.push({
            scheduleId: summary.scheduleId,
            rolloutId,
            spec: text,
            nextRun: summary.info?.nextActionTimes?.[0]?.toISOString() ?? null,
            paused: summary.state.paused,
          });
        }
        out.result(rows, () =>
          rows.length ? rows.map((r) => `${r.scheduleId.padEnd(50)} ${r.spec.padEnd(14)} next ${r.nextRun ?? '-'}`).join('\n') : 'no schedules',
        );
      });
    });

  schedule
    .command('delete <scheduleId>')
    .description('delete a schedule')
    .option('--json', 'print as JSON')
    .action(async (scheduleId: string, options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      await withClient(async (client) => {
        try {
          await client.schedule.getHandle(scheduleId).delete();
        } catch (error) {
          if (error instanceof ScheduleNotFoundError) throw new GantryError('ROLLOUT_NOT_FOUND', `no schedule "${scheduleId}"`);
          throw error;
        }
        out.result({ deleted: scheduleId }, () => `deleted schedule ${scheduleId}`);
      });
    });
}
