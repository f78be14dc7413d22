// Sends an operator command as a Temporal Update: the rollout answers at once whether it took
// effect. A refusal (the validator's answer) comes back as a refused record, not an error.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { GantryError } from '../../errors';
import type { CommandRecord } from '../../workflows/state/rollout-state';
import { describeRollout, readRollout } from './rollout-handle';

export async function sendCommand<T extends object>(
  client: Client,
  id: string,
  name: string,
  update: UpdateDefinition<CommandRecord, [T]>,
  payload: T,
): Promise<CommandRecord> {
  const { handle, running } = await describeRollout(client, id);
  if (!running) {
    const view = await readRollout(client, id);
    const verb = name === 'rollback' ? 'roll back' : name;
    throw new GantryError('REFUSED', `rollout ${id} has already ended (${view.status.outcome ?? view.temporalStatus}): nothing to ${verb}`);
  }
  try {
    return await handle.executeUpdate(update, { args: [payload] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const by = (payload as { by?: string }).by ?? 'unknown';
      return { requestId: null, command: name, by, at: Date.now(), accepted: false, message: error.cause.message };
    }
    throw error;
  }
}
