// A time-skipping Temporal test environment on the installed test-server binary (the SDK's own
// download cannot work offline), and a worker running the real workflow code with fake activities.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { toolPath } from '../../src/config/toolchain';
import { WORKFLOWS_PATH } from '../../src/workers/orchestrator';
import { CONTROL_TASK_QUEUE, hostTaskQueue } from '../../src/workflows/messages';
import { fakeControlPlane, fakeHost, type FakeWorld } from './fake-activities';

let runtimeInstalled = false;
let bundle: WorkflowBundleWithSourceMap | undefined;

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    // Activities failing on purpose log warnings; keep test output to real errors.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPath('temporalTestServer') } },
  });
}

export async function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

/** Runs `body` while a control-plane worker and a `local` host-agent worker serve fake activities. */
export async function withWorkers<T>(env: TestWorkflowEnvironment, world: FakeWorld, body: () => Promise<T>): Promise<T> {
  const control = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: CONTROL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: fakeControlPlane(world),
  });
  const host = await Worker.create({ connection: env.nativeConnection, taskQueue: hostTaskQueue('local'), activities: fakeHost(world) });
  return control.runUntil(host.runUntil(body));
}
