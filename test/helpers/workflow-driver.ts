// Drives a rollout in a time-skipping test: start it, wait (in real time, so simulated days do
// not fly by) until it reaches a state, send commands and read their recorded outcome.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/workflow';
import { rolloutWorkflow } from '../../src/workflows';
import { CONTROL_TASK_QUEUE, rollbackSignal, statusQuery } from '../../src/workflows/messages';
import type { RolloutSpec } from '../../src/config/spec';
import type { CommandRecord } from '../../src/workflows/state/rollout-state';
import type { RolloutStatus } from '../../src/workflows/state/status-view';
import type { RolloutInput } from '../../src/workflows/rollout-context';

let counter = 0;

export async function startRollout(
  env: TestWorkflowEnvironment,
  spec: RolloutSpec,
  extra: Partial<RolloutInput> = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof rolloutWorkflow>> {
  const workflowId = `${extra.rolloutId ?? 'rollout'}-${process.pid}-${++counter}`;
  return env.client.workflow.start(rolloutWorkflow, {
    workflowId,
    taskQueue: CONTROL_TASK_QUEUE,
    args: [{ rolloutId: workflowId, spec, startedBy: 'release-engineer', ...extra }],
  });
}

/**
 * Polls the status until `done`. Time passes for real unless `skip` is given: then each poll
 * first skips that much simulated time (to reach a state days into a rollout).
 */
export async function waitForStatus(
  handle: WorkflowHandle,
  done: (s: RolloutStatus) => boolean,
  // Generous: with both cores busy, an hour of skipped time and a query took seconds each. The
  // per-test limit (3 min) still catches a hang.
  timeoutMs = 90_000,
  skip?: { env: TestWorkflowEnvironment; by: string },
): Promise<RolloutStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    if (done(status)) return status;
    if (status.outcome) throw new Error(`rollout ended ${status.outcome} (${status.reason ?? ''}) before the awaited state; phase ${status.phase}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting; phase ${status.phase}, waiting for ${status.waitingFor ?? '-'}`);
    if (skip) await skip.env.sleep(skip.by);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Sends a command and returns the workflow's recorded outcome for it. */
export async function command<T extends object>(handle: WorkflowHandle, signal: SignalDefinition<[T]>, payload: T): Promise<CommandRecord> {
  const requestId = randomUUID();
  await handle.signal(signal, { ...payload, requestId });
  const status = await waitForStatus(handle, (s) => s.commands.some((c) => c.requestId === requestId) || s.outcome !== null);
  const record = status.commands.find((c) => c.requestId === requestId);
  if (!record) throw new Error('the rollout ended before recording the command');
  return record;
}

/**
 * Ends a rollout a test is done with by rolling it back and waiting for its result — never by
 * terminating it. Terminating while the worker completes one of its workflow tasks made the
 * time-skipping test server answer "Task not found … Completed workflow", after which it skipped no
 * more time: the next test's simulated weeks then ran in real time, and the tier hung (seen in 2
 * of 11 runs with both cores busy, each time right after that warning, and in none without it).
 */
export async function endRollout(handle: WorkflowHandle<typeof rolloutWorkflow>): Promise<void> {
  await handle.signal(rollbackSignal, { by: 'test', reason: 'test over' });
  await handle.result();
}
