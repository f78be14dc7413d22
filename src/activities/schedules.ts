// Temporal Schedules that advance a rollout: created by the CLI, removed when the rollout ends.
import type { Client } from '@temporalio/client';

export const scheduleIdPrefix = (rolloutId: string): string => `${rolloutId}.advance.`;

export async function rolloutScheduleIds(client: Client, rolloutId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const schedule of client.schedule.list()) {
    if (schedule.scheduleId.startsWith(scheduleIdPrefix(rolloutId))) ids.push(schedule.scheduleId);
  }
  return ids;
}

export function createScheduleActivities(deps: { client: () => Promise<Client> }) {
  async function deleteRolloutSchedules(input: { rolloutId: string }): Promise<{ deleted: string[] }> {
    const client = await deps.client();
    const ids = await rolloutScheduleIds(client, input.rolloutId);
    for (const id of ids) await client.schedule.getHandle(id).delete();
    return { deleted: ids };
  }
  return { deleteRolloutSchedules };
}

export type ScheduleActivities = ReturnType<typeof createScheduleActivities>;
