// Activities of a host agent: quantize on the host holding the files, start/stop model servers.
// Thin adapters: the tools and the supervisor do the work; these map faults to failure types.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { basename, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { FailureType } from '../errors';
import { GgufError, inspectGguf } from '../adapters/gguf-file';
import { runQuantize } from '../adapters/llama-quantize';
import { llamaServerCommand, vllmCommand, type Engine, type LaunchCommand } from '../adapters/model-server-engine';
import { ServerStartError, isHealthy, type ServerSupervisor } from '../hosts/server-supervisor';
import type { ServerOptions } from '../config/spec';

export interface ModelArtifact {
  path: string;
  sha256: string;
  sizeBytes: number;
  ggufVersion: number;
  quantType: string | null;
}

export interface QuantizeInput {
  rolloutId: string;
  source: string;
  type: string;
}

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

export interface ModelHostDeps {
  hostName: string;
  supervisor: ServerSupervisor;
  artifactsDir: string;
  /** resolved lazily, so a host without vLLM only fails when a vLLM deployment is asked for */
  binaries: { llamaQuantize: () => string; llamaServer: () => string; vllm: () => string };
}

function modelFailure(error: unknown): never {
  if (error instanceof GgufError) {
    throw ApplicationFailure.nonRetryable(error.message, error.kind === 'missing' ? FailureType.MODEL_NOT_FOUND : FailureType.INVALID_MODEL);
  }
  throw error;
}

function binary(resolve: () => string): string {
  try {
    return resolve();
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, FailureType.TOOL_MISSING);
  }
}

export function createModelHostActivities(deps: ModelHostDeps) {
  async function inspectModel(input: { path: string }): Promise<ModelArtifact> {
    const info = await inspectGguf(input.path).catch(modelFailure);
    return { path: info.path, sha256: info.sha256, sizeBytes: info.sizeBytes, ggufVersion: info.version, quantType: null };
  }

  async function quantizeModel(input: QuantizeInput): Promise<ModelArtifact> {
    await inspectGguf(input.source).catch(modelFailure);
    const outDir = join(deps.artifactsDir, input.rolloutId);
    mkdirSync(outDir, { recursive: true });
    const output = join(outDir, `${basename(input.source, '.gguf')}.${input.type}.gguf`);
    const ctx = Context.current();
    try {
      await runQuantize(
        { binary: binary(deps.binaries.llamaQuantize), source: input.source, output, type: input.type },
        (progress) => ctx.heartbeat(progress),
        ctx.cancellationSignal,
      );
    } catch (error) {
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('quantize cancelled');
      throw ApplicationFailure.nonRetryable((error as Error).message, FailureType.QUANTIZE_FAILED);
    }
    // Never serve what the tool claims to have written without checking it.
    const info = await inspectGguf(output).catch((error: unknown) => {
      throw ApplicationFailure.nonRetryable(`quantized output is not usable: ${(error as Error).message}`, FailureType.QUANTIZE_FAILED);
    });
    return { path: output, sha256: info.sha256, sizeBytes: info.sizeBytes, ggufVersion: info.version, quantType: input.type };
  }

  async function startModelServer(input: StartServerInput): Promise<Deployment> {
    const existing = deps.supervisor.get(input.deploymentId);
    // A retried activity finds the server its first attempt started.
    if (existing && (await isHealthy(existing.endpoint.replace(/\/v1$/, '')))) {
      return { host: deps.hostName, deploymentId: existing.deploymentId, endpoint: existing.endpoint, pid: existing.pid, modelPath: existing.modelPath };
    }
    await inspectGguf(input.modelPath).catch(modelFailure);
    const file = input.engine === 'vllm' ? binary(deps.binaries.vllm) : binary(deps.binaries.llamaServer);
    const build = (port: number): LaunchCommand => {
      const request = { engine: input.engine, modelPath: input.modelPath, port, host: '127.0.0.1', servedName: input.servedName, options: input.options };
      return input.engine === 'vllm' ? vllmCommand(file, request) : llamaServerCommand(file, request);
    };
    const ctx = Context.current();
    try {
      const record = await deps.supervisor.start(input.deploymentId, input.modelPath, input.engine, build, input.readyTimeoutMs, (elapsedMs) => {
        ctx.heartbeat({ waitingForHealthMs: elapsedMs });
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('start cancelled');
      });
      return { host: deps.hostName, deploymentId: record.deploymentId, endpoint: record.endpoint, pid: record.pid, modelPath: record.modelPath };
    } catch (error) {
      if (error instanceof ServerStartError && error.kind !== 'port') {
        throw ApplicationFailure.nonRetryable(error.message, error.kind === 'unhealthy' ? FailureType.SERVER_NOT_HEALTHY : FailureType.SERVER_START_FAILED);
      }
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('start cancelled');
      throw error; // a port taken in a race: retried
    }
  }

  async function stopModelServer(input: { deploymentId: string }): Promise<{ stopped: boolean }> {
    return { stopped: await deps.supervisor.stop(input.deploymentId) };
  }

  return { inspectModel, quantizeModel, startModelServer, stopModelServer };
}

export type ModelHostActivities = ReturnType<typeof createModelHostActivities>;
