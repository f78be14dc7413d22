// Connecting the CLI to Temporal, with the one-line error a user needs when it is not running.
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { GantryError } from '../errors';
import { connectionOptions, type TemporalEnv } from './connection-config';
import { dataConverterFor } from './payload-codec';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

export async function connectClient(env: TemporalEnv): Promise<Client> {
  const dataConverter = dataConverterFor(env.GANTRY_PAYLOAD_KEY); // a bad key fails before connecting
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...connectionOptions(env), connectTimeout: 3_000 });
    await connection.workflowService.getSystemInfo({});
  } catch {
    await connection?.close().catch(() => undefined);
    throw new GantryError(
      'TEMPORAL_UNAVAILABLE',
      `Temporal is not reachable at ${env.TEMPORAL_ADDRESS}: start the embedded stack with \`gantry dev up\` (or set TEMPORAL_ADDRESS)`,
    );
  }
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter });
}

/** Identities (`pid@host`) of the workers polling a task queue for workflow or activity tasks. */
export async function taskQueuePollers(client: Client, taskQueue: string, kind: 'workflow' | 'activity'): Promise<string[]> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: kind === 'workflow' ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (response.pollers ?? []).map((p) => p.identity ?? '');
}
