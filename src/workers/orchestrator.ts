// Orchestrator worker: runs rollout workflows and the control-plane activities on queue `gantry`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../config/package-root';
import { RUNNING_BUILT } from '../stack/entry-points';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { parseEnv } from '../config/parse-env';
import { orchestratorConfigSchema, type OrchestratorConfig } from './orchestrator-config';
import { connectionOptions } from '../temporal/connection-config';
import { connectClient } from '../temporal/client';
import { dataConverterFor } from '../temporal/payload-codec';
import { pinoSdkLogger } from '../temporal/sdk-logger';
import { Client } from '@temporalio/client';
import {
  createMetricActivities,
  createRecordActivities,
  createNotificationActivities,
  createQaActivities,
  createQualityActivities,
  createScheduleActivities,
  createTrafficActivities,
  defaultQaDeps,
} from '../activities';
import { createMetricProvider } from '../activities/metric-provider-factory';
import type { IntervalRecordStore } from '../adapters/interval-record-store';
import { openIntervalRecordStore } from '../adapters/open-interval-record-store';
import { PrometheusProvider } from '../activities/prometheus-provider';
import { GatewayAdminClient } from '../gateway/admin-client';
import { CONTROL_TASK_QUEUE } from '../workflows/messages';
import { RolloutExporter, serveRolloutMetrics } from './rollout-exporter';

/** The workflow sources, bundled by the worker at start-up (tests, and a checkout run through tsx). */
export const WORKFLOWS_PATH = join(PACKAGE_ROOT, 'src', 'workflows', 'index.ts');
/** The same code bundled by `npm run build`: a built worker starts without bundling. */
const PREBUILT_WORKFLOWS = join(PACKAGE_ROOT, 'dist', 'workflow-bundle.js');

export function controlPlaneActivities(
  config: Pick<OrchestratorConfig, 'GANTRY_GATEWAY_URL' | 'GANTRY_ADMIN_TOKEN' | 'GANTRY_ORCHESTRATOR_DATA_DIR'> &
    Partial<Pick<OrchestratorConfig, 'GANTRY_METRIC_PROVIDER' | 'GANTRY_PROMETHEUS_URL' | 'GANTRY_PROMETHEUS_JOB' | 'GANTRY_EVAL_STABLE_CONCURRENCY'>>,
  temporalClient: () => Promise<Client>,
  records: IntervalRecordStore,
) {
  const gateway = new GatewayAdminClient(config.GANTRY_GATEWAY_URL, config.GANTRY_ADMIN_TOKEN);
  const gatewaySource = createMetricProvider({ kind: 'gateway', url: config.GANTRY_GATEWAY_URL, token: config.GANTRY_ADMIN_TOKEN });
  const prometheus = config.GANTRY_PROMETHEUS_URL
    ? new PrometheusProvider(config.GANTRY_PROMETHEUS_URL, config.GANTRY_PROMETHEUS_JOB ?? 'gantry-gateway')
    : null;
  const defaultSource = config.GANTRY_METRIC_PROVIDER === 'prometheus' && prometheus ? 'prometheus' : 'gateway';
  return {
    ...createQaActivities({ ...defaultQaDeps, gateway }),
    ...createTrafficActivities({ gateway }),
    ...createMetricActivities({ defaultSource, gateway: gatewaySource, prometheus }),
    ...createNotificationActivities({ timeoutMs: 5_000 }),
    ...createScheduleActivities({ client: temporalClient }),
    ...createQualityActivities({ gateway, dataDir: config.GANTRY_ORCHESTRATOR_DATA_DIR, stableConcurrency: config.GANTRY_EVAL_STABLE_CONCURRENCY }),
    ...createRecordActivities({ records }),
  };
}

async function main(): Promise<void> {
  const logger = pino({ name: 'orchestrator' });
  const config = parseEnv(orchestratorConfigSchema, process.env, 'orchestrator');
  Runtime.install({ logger: pinoSdkLogger(logger) });
  // The interval record's store is checked before any work is taken: a PostgreSQL that cannot be
  // used is a clear error at start, not a record silently missing from every rollout.
  const records = await openIntervalRecordStore({ dataDir: config.GANTRY_ORCHESTRATOR_DATA_DIR, postgresUrl: config.GANTRY_PAIR_STORE_URL });
  const connection = await NativeConnection.connect(connectionOptions(config));
  // Schedule clean-up needs a client; it is made on first use and then kept.
  let client: Promise<Client> | undefined;
  const temporalClient = (): Promise<Client> => (client ??= connectClient(config));
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: CONTROL_TASK_QUEUE,
    dataConverter: dataConverterFor(config.GANTRY_PAYLOAD_KEY),
    ...(RUNNING_BUILT && existsSync(PREBUILT_WORKFLOWS) ? { workflowBundle: { codePath: PREBUILT_WORKFLOWS } } : { workflowsPath: WORKFLOWS_PATH }),
    activities: controlPlaneActivities(config, temporalClient, records),
  });
  // Its rollouts' gauges for Prometheus (running, paused since): what "paused too long" alerts on.
  const metricsServer =
    config.GANTRY_ORCHESTRATOR_METRICS_PORT === undefined
      ? null
      : await serveRolloutMetrics(
          new RolloutExporter(temporalClient, (message) => logger.warn(message)),
          config.GANTRY_ORCHESTRATOR_METRICS_PORT,
          config.GANTRY_ORCHESTRATOR_METRICS_HOST,
        );
  logger.info(
    {
      taskQueue: CONTROL_TASK_QUEUE,
      address: config.TEMPORAL_ADDRESS,
      metricsPort: config.GANTRY_ORCHESTRATOR_METRICS_PORT ?? null,
      intervalRecord: records.where,
    },
    'orchestrator worker ready',
  );
  await worker.run();
  metricsServer?.close();
  await records.close();
  await connection.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: Error) => {
    console.error(`orchestrator: ${error.message}`);
    process.exit(1);
  });
}
