// Host agent: one per GPU host, on queue `gantry-host.<name>`. Quantizes where the files are and
// supervises the model servers it starts: after a restart it re-adopts the ones still running, and
// one that dies on its own is brought back on its port (unless it keeps crashing).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { dataConverterFor } from '../temporal/payload-codec';
import { pino, type Logger } from 'pino';
import { parseEnv } from '../config/parse-env';
import { hostAgentConfigSchema } from './host-agent-config';
import { connectionOptions } from '../temporal/connection-config';
import { pinoSdkLogger } from '../temporal/sdk-logger';
import { createModelHostActivities } from '../activities';
import { restoreDeployments } from '../activities/model-host';
import { launchCommandFor } from '../adapters/model-server-engine';
import { engineBinaries } from '../hosts/engine-binaries';
import { ServerSupervisor, type CrashPolicy, type ServerRecord } from '../hosts/server-supervisor';
import { toolPath } from '../config/toolchain';
import { hostTaskQueue } from '../workflows/messages';

const RESTORE_READY_TIMEOUT_MS = 120_000;
const CRASH_WINDOW_MS = 10 * 60_000;

async function restoreRecorded(supervisor: ServerSupervisor, stopped: readonly ServerRecord[], logger: Logger): Promise<void> {
  if (stopped.length === 0) return;
  logger.info({ servers: stopped.map((s) => s.deploymentId) }, 'restarting recorded model servers that are not running');
  const { restored, failed } = await restoreDeployments(supervisor, stopped, RESTORE_READY_TIMEOUT_MS);
  if (restored.length) logger.info({ servers: restored }, 'restarted recorded model servers');
  if (failed.length) logger.warn({ failed }, 'recorded model servers that could not be restarted');
}

/** Looks for crashed model servers every `everyMs` and brings them back, until `signal` aborts. */
async function watchForCrashes(supervisor: ServerSupervisor, policy: CrashPolicy, everyMs: number, logger: Logger, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    const sweep = await supervisor.reviveCrashed(policy).catch((error: unknown) => {
      logger.warn({ error: String(error) }, 'could not look for crashed model servers');
      return { revived: [], givenUp: [], failed: [] };
    });
    for (const record of sweep.revived) {
      logger.warn(
        { deployment: record.deploymentId, pid: record.pid, port: record.port, revivals: record.revivals },
        'model server died on its own: brought back',
      );
    }
    for (const deploymentId of sweep.givenUp) {
      logger.error(
        { deployment: deploymentId, limit: policy.limit, windowMinutes: policy.windowMs / 60_000 },
        'model server keeps crashing: left down until it is started again',
      );
    }
    for (const failure of sweep.failed) logger.warn(failure, 'model server died on its own and could not be brought back (will try again)');
  }
}

export function hostActivitiesFor(hostName: string, dataDir: string) {
  const supervisor = new ServerSupervisor(dataDir, launchCommandFor(engineBinaries, '127.0.0.1'));
  const activities = createModelHostActivities({
    hostName,
    supervisor,
    artifactsDir: join(dataDir, 'artifacts'),
    binaries: {
      llamaQuantize: () => toolPath('llamaQuantize'),
      llamaPerplexity: () => toolPath('llamaPerplexity'),
      convertPython: () => toolPath('convertPython'),
      llamaSource: () => toolPath('llamaSource'),
    },
  });
  return { supervisor, activities };
}

async function main(): Promise<void> {
  const logger = pino({ name: 'host-agent' });
  const config = parseEnv(hostAgentConfigSchema, process.env, 'host-agent');
  const dataDir = config.GANTRY_HOST_DATA_DIR ?? join('.gantry', 'hosts', config.GANTRY_HOST_NAME);
  Runtime.install({ logger: pinoSdkLogger(logger) });
  const { supervisor, activities } = hostActivitiesFor(config.GANTRY_HOST_NAME, dataDir);
  const { running, stopped } = supervisor.readopt();
  if (running.length) logger.info({ servers: running.map((s) => s.deploymentId) }, 're-adopted running model servers');
  const connection = await NativeConnection.connect(connectionOptions(config));
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: hostTaskQueue(config.GANTRY_HOST_NAME),
    dataConverter: dataConverterFor(config.GANTRY_PAYLOAD_KEY),
    activities,
  });
  logger.info({ taskQueue: hostTaskQueue(config.GANTRY_HOST_NAME) }, 'host agent ready');
  // Deployments recorded as serving but not running come back while the agent already takes work;
  // then the agent watches for servers that die on their own.
  const restored = restoreRecorded(supervisor, stopped, logger);
  const watch = new AbortController();
  if (config.GANTRY_HOST_CRASH_CHECK_MS > 0) {
    const policy = { readyTimeoutMs: RESTORE_READY_TIMEOUT_MS, limit: config.GANTRY_HOST_CRASH_LIMIT, windowMs: CRASH_WINDOW_MS };
    void restored.then(() => watchForCrashes(supervisor, policy, config.GANTRY_HOST_CRASH_CHECK_MS, logger, watch.signal));
  }
  // Model servers outlive the agent on purpose: a restarted agent re-adopts them.
  await worker.run();
  watch.abort();
  await connection.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: Error) => {
    console.error(`host-agent: ${error.message}`);
    process.exit(1);
  });
}
