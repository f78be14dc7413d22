// Sends an operator command and waits for the rollout to record whether it took effect, so the
// CLI can tell success, refusal and not-found apart (signals alone are fire-and-forget).
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/workflow';
import { GantryError } from '../../errors';
import { statusQuery } from '../../workflows/messages';
import type { CommandRecord } from '../../workflows/rollout-state';
import { describeRollout, readRollout } from './rollout-handle';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function sendCommand<T extends object>(
  client: Client,
  id: string,
  name: string,
  signal: SignalDefinition<[T]>,
  payload: T,
  timeoutMs = 15_000,
): Promise<CommandRecord> {
  const { handle, running } = await describeRollout(client, id);
  if (!running) {
    const view = await readRollout(client, id);
    const verb = name === 'rollback' ? 'roll back' : name;
    throw new GantryError('REFUSED', `rollout ${id} has already ended (${view.status.outcome ?? view.temporalStatus}): nothing to ${verb}`);
  }
  const requestId = randomUUID();
  await handle.signal(signal, { ...payload, requestId });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    const record = status.commands.find((c) => c.requestId === requestId);
    if (record) return record;
    if (Date.now() > deadline)
      throw new GantryError(
        'TEMPORAL_UNAVAILABLE',
        `rollout ${id} has not acted on the ${name} command after ${timeoutMs / 1000}s: is the orchestrator worker running?`,
      );
    await sleep(100);
  }
}
