// Finding a rollout and reading its status, running or finished, with not-found made explicit.
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GantryError } from '../../errors';
import { ROLLOUT_WORKFLOW_TYPE, statusQuery } from '../../workflows/messages';
import type { RolloutStatus } from '../../workflows/state/status-view';
import type { RolloutResult } from '../../workflows/rollout';

export interface RolloutView {
  handle: WorkflowHandle;
  running: boolean;
  temporalStatus: string;
  status: RolloutStatus;
}

function notFound(id: string): GantryError {
  return new GantryError('ROLLOUT_NOT_FOUND', `no rollout with id "${id}" (list them in the Web UI, or check the id)`);
}

export async function describeRollout(client: Client, id: string): Promise<{ handle: WorkflowHandle; running: boolean; temporalStatus: string }> {
  const handle = client.workflow.getHandle(id);
  try {
    const description = await handle.describe();
    if (description.type !== ROLLOUT_WORKFLOW_TYPE) throw notFound(id);
    return { handle, running: description.status.name === 'RUNNING', temporalStatus: description.status.name };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw notFound(id);
    throw error;
  }
}

export async function rolloutExists(client: Client, id: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(id).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** Status from the query while running; from the result (or failure details) once finished. */
export async function readRollout(client: Client, id: string): Promise<RolloutView> {
  const { handle, running, temporalStatus } = await describeRollout(client, id);
  if (running) return { handle, running, temporalStatus, status: await handle.query(statusQuery) };
  try {
    const result = (await handle.result()) as RolloutResult;
    return { handle, running, temporalStatus, status: result.status };
  } catch (error) {
    // A failed rollout carries its status in the failure's details.
    if (error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure && error.cause.details?.[0]) {
      return { handle, running, temporalStatus, status: error.cause.details[0] as RolloutStatus };
    }
    // Cancelled or terminated: the query answers from the finished history while a worker runs.
    return { handle, running, temporalStatus, status: await handle.query(statusQuery) };
  }
}
