// A Temporal client for one CLI command, connected with the stack's settings and closed after.
import type { Client } from '@temporalio/client';
import { connectClient } from '../temporal/client';
import { workflowUiLink } from '../temporal/connection-config';
import { stackConfigFromEnv } from '../stack/stack-config';
import { temporalEnvFor } from '../stack/stack-connection';

export async function withClient<T>(body: (client: Client, link: (workflowId: string) => string) => Promise<T>): Promise<T> {
  const env = temporalEnvFor(stackConfigFromEnv());
  const client = await connectClient(env);
  try {
    return await body(client, (id) => workflowUiLink(env, id));
  } finally {
    await client.connection.close();
  }
}
