// Activities of a host agent: make the artifact on the host holding the files (./artifacts.ts),
// start/stop model servers.
// Thin adapters: the tools and the supervisor do the work; these map faults to failure types.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FailureType, GantryError } from '../errors';
import { GgufError, inspectGguf } from '../adapters/gguf-file';
import { createArtifactActivities, type ArtifactDeps } from './artifacts';
import type { Engine } from '../adapters/model-server-engine';
import { ServerStartError, baseUrlOf, isHealthy, type ServerRecord, type ServerSupervisor } from '../hosts/server-supervisor';
import type { ServerOptions } from '../config/spec';

export type { ModelArtifact, QuantizeInput } from './artifacts';

export interface StartServerInput {
  deploymentId: string;
  modelPath: string;
  engine: Engine;
  servedName: string;
  options: ServerOptions;
  readyTimeoutMs: number;
}

export interface Deployment {
  host: string;
  deploymentId: string;
  endpoint: string;
  pid: number;
  modelPath: string;
}

/** What the stable check learns of a deployment: serving, restarted from its record, or gone. */
export type DeploymentCheck = { state: 'healthy' | 'restored'; deployment: Deployment; detail: string } | { state: 'missing'; detail: string };

export interface ModelHostDeps extends ArtifactDeps {
  hostName: string;
  supervisor: ServerSupervisor;
}

const POLL_MS = 500;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function modelFailure(error: unknown): never {
  if (error instanceof GgufError) {
    throw ApplicationFailure.nonRetryable(error.message, error.kind === 'missing' ? FailureType.MODEL_NOT_FOUND : FailureType.INVALID_MODEL);
  }
  throw error;
}

function deploymentOf(hostName: string, record: ServerRecord): Deployment {
  return { host: hostName, deploymentId: record.deploymentId, endpoint: record.endpoint, pid: record.pid, modelPath: record.modelPath };
}

/** Maps a failed start to its failure type: a port taken in a race is retried, the rest are not. */
function startFailure(error: unknown, cancelled: boolean): never {
  if (error instanceof ServerStartError && error.kind !== 'port') {
    throw ApplicationFailure.nonRetryable(error.message, error.kind === 'unhealthy' ? FailureType.SERVER_NOT_HEALTHY : FailureType.SERVER_START_FAILED);
  }
  if (cancelled) throw new CancelledFailure('start cancelled');
  if (error instanceof GantryError && error.type === FailureType.TOOL_MISSING) throw ApplicationFailure.nonRetryable(error.message, FailureType.TOOL_MISSING);
  throw error;
}

export function createModelHostActivities(deps: ModelHostDeps) {
  /** Heartbeats while a server comes up; cancellation reaches the wait here. */
  function heartbeatTick(): (elapsedMs: number) => void {
    const ctx = Context.current();
    return (elapsedMs) => {
      ctx.heartbeat({ waitingForHealthMs: elapsedMs });
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('start cancelled');
    };
  }

  async function startModelServer(input: StartServerInput): Promise<Deployment> {
    const existing = deps.supervisor.get(input.deploymentId);
    // A retried activity finds the server its first attempt started.
    if (existing && deps.supervisor.isRunning(existing) && (await isHealthy(baseUrlOf(existing)))) return deploymentOf(deps.hostName, existing);
    await inspectGguf(input.modelPath).catch(modelFailure);
    const launch = { engine: input.engine, modelPath: input.modelPath, servedName: input.servedName, options: input.options };
    try {
      return deploymentOf(deps.hostName, await deps.supervisor.start(input.deploymentId, launch, input.readyTimeoutMs, heartbeatTick()));
    } catch (error) {
      startFailure(error, Context.current().cancellationSignal.aborted);
    }
  }

  /**
   * Is this deployment serving? A live server is given readyTimeout to answer /health; one that is
   * not running (or never answers) is restarted from its record. No record, or a restart that
   * fails, is `missing`: the caller decides what replaces it.
   */
  async function ensureDeployment(input: { deploymentId: string; readyTimeoutMs: number }): Promise<DeploymentCheck> {
    const record = deps.supervisor.get(input.deploymentId);
    if (!record) return { state: 'missing', detail: `host ${deps.hostName} has no record of deployment ${input.deploymentId}` };
    const tick = heartbeatTick();
    if (deps.supervisor.isRunning(record)) {
      const started = Date.now();
      while (Date.now() - started < input.readyTimeoutMs) {
        if (await isHealthy(baseUrlOf(record)))
          return { state: 'healthy', deployment: deploymentOf(deps.hostName, record), detail: `serving at ${record.endpoint}` };
        tick(Date.now() - started);
        await sleep(POLL_MS);
      }
    }
    try {
      if (record.launch) await inspectGguf(record.launch.modelPath);
      const restarted = await deps.supervisor.restart(input.deploymentId, input.readyTimeoutMs, tick);
      return { state: 'restored', deployment: deploymentOf(deps.hostName, restarted), detail: `restarted at ${restarted.endpoint}` };
    } catch (error) {
      if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('check cancelled');
      return { state: 'missing', detail: `could not be restarted: ${(error as Error).message}` };
    }
  }

  async function stopModelServer(input: { deploymentId: string }): Promise<{ stopped: boolean }> {
    return { stopped: await deps.supervisor.stop(input.deploymentId) };
  }

  return { ...createArtifactActivities(deps), startModelServer, ensureDeployment, stopModelServer };
}

export type ModelHostActivities = ReturnType<typeof createModelHostActivities>;

/**
 * At agent start: deployments recorded as serving but not running (stopped by `gantry dev down`,
 * crashed, a reboot) are started again, on their recorded ports, so the routes that point at them
 * answer again. Returns what it restored and what it could not.
 */
export async function restoreDeployments(
  supervisor: ServerSupervisor,
  records: readonly ServerRecord[],
  readyTimeoutMs: number,
): Promise<{ restored: string[]; failed: string[] }> {
  const restored: string[] = [];
  const failed: string[] = [];
  for (const record of records) {
    try {
      await supervisor.restart(record.deploymentId, readyTimeoutMs, () => undefined);
      restored.push(record.deploymentId);
    } catch (error) {
      failed.push(`${record.deploymentId}: ${(error as Error).message}`);
    }
  }
  return { restored, failed };
}
