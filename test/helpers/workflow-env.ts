// A time-skipping Temporal test environment on the installed test-server binary (the SDK's own
// download cannot work offline), and a worker running the real workflow code with fake activities.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { toolPath } from '../../src/config/toolchain';
import { isPortInUse } from '../../src/hosts/free-port';
import { quietPort } from './quiet-ports';
import { stopProcess } from '../../src/hosts/process-control';
import { spawnDetached, waitUntilHealthy, type ProcessRecord } from '../../src/stack/managed-process';
import { WORKFLOWS_PATH } from '../../src/workers/orchestrator';
import { CONTROL_TASK_QUEUE, hostTaskQueue } from '../../src/workflows/messages';
import { fakeControlPlane, fakeHost, type FakeWorld } from './fake-activities';

let runtimeInstalled = false;
let bundle: WorkflowBundleWithSourceMap | undefined;

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    // Activities failing on purpose log warnings; keep test output to real errors. No shutdown
    // signals: the test runner stops a file that outlives its limit with SIGTERM, and the SDK's
    // default (a graceful worker shutdown that waits on the test server) kept such a file alive
    // until the tier's hard limit, long after its own failure was reported.
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPath('temporalTestServer') } },
  });
}

/** Dev servers started for environments, stopped with them. */
const devServers = new WeakMap<TestWorkflowEnvironment, ProcessRecord>();

/**
 * The real Temporal server (the CLI's dev server) for what the time-skipping server cannot run:
 * Updates. No time skipping: the specs these tests use last seconds. Started here rather than by
 * the SDK, whose 5-second start-up deadline a busy machine misses; this one waits a minute.
 */
export async function devServerEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  const port = await quietPort();
  const logFile = join(mkdtempSync(join(tmpdir(), 'gantry-devserver-')), 'temporal.log');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'warn'];
  const server = spawnDetached('temporal', toolPath('temporal'), args, process.env, logFile, port);
  try {
    await waitUntilHealthy(server, () => isPortInUse(port), 60_000);
    const env = await TestWorkflowEnvironment.createFromExistingServer({ address: `127.0.0.1:${port}` });
    devServers.set(env, server);
    return env;
  } catch (error) {
    await stopProcess(server.pid);
    throw error;
  }
}

export async function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

interface SharedWorkers {
  current: FakeWorld;
  stop: () => Promise<void>;
}

const shared = new WeakMap<TestWorkflowEnvironment, SharedWorkers>();

/**
 * One control-plane worker and one `local` host-agent worker per environment, serving fake
 * activities over whichever world the running test set. Creating and shutting down a worker pair
 * per test (~70 in one process) was seen to hang worker start-up; sharing them avoids it.
 */
async function sharedWorkers(env: TestWorkflowEnvironment): Promise<SharedWorkers> {
  const existing = shared.get(env);
  if (existing) return existing;
  const holder: SharedWorkers = { current: undefined as unknown as FakeWorld, stop: async () => undefined };
  const world = new Proxy({} as FakeWorld, {
    get: (_target, key) => holder.current[key as keyof FakeWorld],
    set: (_target, key, value) => {
      (holder.current as unknown as Record<string | symbol, unknown>)[key] = value;
      return true;
    },
  });
  const control = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: CONTROL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: fakeControlPlane(world),
  });
  const host = await Worker.create({ connection: env.nativeConnection, taskQueue: hostTaskQueue('local'), activities: fakeHost(world) });
  const running = Promise.all([control.run(), host.run()]);
  holder.stop = async () => {
    control.shutdown();
    host.shutdown();
    await running;
  };
  shared.set(env, holder);
  return holder;
}

/** Runs `body` with the shared workers serving `world`. */
export async function withWorkers<T>(env: TestWorkflowEnvironment, world: FakeWorld, body: () => Promise<T>): Promise<T> {
  const workers = await sharedWorkers(env);
  workers.current = world;
  return body();
}

/** Stops the shared workers, then the test server. */
export async function teardownEnv(env: TestWorkflowEnvironment | undefined): Promise<void> {
  if (!env) return;
  await shared.get(env)?.stop();
  await env.teardown();
  const server = devServers.get(env);
  if (server) {
    await stopProcess(server.pid);
    if (server.logFile) rmSync(dirname(server.logFile), { recursive: true, force: true });
  }
}
