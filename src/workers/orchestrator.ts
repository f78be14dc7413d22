// Orchestrator worker: runs rollout workflows and the control-plane activities on queue `gantry`.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { parseEnv } from '../config/parse-env';
import { orchestratorConfigSchema, type OrchestratorConfig } from './orchestrator-config';
import { connectionOptions } from '../temporal/connection-config';
import { pinoSdkLogger } from '../temporal/sdk-logger';
import { createMetricActivities, createQaActivities, createTrafficActivities, defaultQaDeps } from '../activities';
import { createMetricProvider } from '../activities/metric-provider';
import { GatewayAdminClient } from '../gateway/admin-client';
import { CONTROL_TASK_QUEUE } from '../workflows/messages';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export function controlPlaneActivities(config: Pick<OrchestratorConfig, 'GANTRY_GATEWAY_URL' | 'GANTRY_ADMIN_TOKEN'>) {
  const gateway = new GatewayAdminClient(config.GANTRY_GATEWAY_URL, config.GANTRY_ADMIN_TOKEN);
  const provider = createMetricProvider({ kind: 'gateway', url: config.GANTRY_GATEWAY_URL, token: config.GANTRY_ADMIN_TOKEN });
  return {
    ...createQaActivities(defaultQaDeps),
    ...createTrafficActivities({ gateway }),
    ...createMetricActivities({ provider }),
  };
}

async function main(): Promise<void> {
  const logger = pino({ name: 'orchestrator' });
  const config = parseEnv(orchestratorConfigSchema, process.env, 'orchestrator');
  Runtime.install({ logger: pinoSdkLogger(logger) });
  const connection = await NativeConnection.connect(connectionOptions(config));
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: CONTROL_TASK_QUEUE,
    workflowsPath: WORKFLOWS_PATH,
    activities: controlPlaneActivities(config),
  });
  logger.info({ taskQueue: CONTROL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'orchestrator worker ready');
  await worker.run();
  await connection.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: Error) => {
    console.error(`orchestrator: ${error.message}`);
    process.exit(1);
  });
}
