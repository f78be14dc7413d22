// How each engine is launched. Both speak the same OpenAI, /health and Prometheus /metrics
// protocol, so everything after the launch is engine-independent.
import type { ServerOptions } from '../config/spec';

export type Engine = 'llama.cpp' | 'vllm';

export interface LaunchRequest {
  engine: Engine;
  modelPath: string;
  port: number;
  host: string;
  servedName: string;
  options: ServerOptions;
}

export interface LaunchCommand {
  file: string;
  args: string[];
}

export function llamaServerCommand(binary: string, request: LaunchRequest): LaunchCommand {
  const o = request.options;
  const args = [
    '-m',
    request.modelPath,
    '--host',
    request.host,
    '--port',
    String(request.port),
    '--metrics',
    '-c',
    String(o.contextSize),
    '-np',
    String(o.parallel),
    '--alias',
    request.servedName,
  ];
  if (o.threads) args.push('-t', String(o.threads));
  if (o.chatTemplateFile) args.push('--jinja', '--chat-template-file', o.chatTemplateFile);
  return { file: binary, args: [...args, ...o.extraArgs] };
}

export function vllmCommand(binary: string, request: LaunchRequest): LaunchCommand {
  const o = request.options;
  const args = [
    'serve',
    request.modelPath,
    '--host',
    request.host,
    '--port',
    String(request.port),
    '--max-model-len',
    String(o.contextSize),
    '--max-num-seqs',
    String(o.parallel),
    '--served-model-name',
    request.servedName,
  ];
  if (o.chatTemplateFile) args.push('--chat-template', o.chatTemplateFile);
  return { file: binary, args: [...args, ...o.extraArgs] };
}

export const HEALTH_PATH = '/health';

/** What a deployment serves and how: everything needed to start it again later. */
export interface ServerLaunch {
  engine: Engine;
  modelPath: string;
  servedName: string;
  options: ServerOptions;
}

export interface EngineBinaries {
  llamaServer: () => string;
  vllm: () => string;
}

/** The command that serves `launch` on `port`, for either engine. */
export function launchCommandFor(binaries: EngineBinaries, host: string): (launch: ServerLaunch, port: number) => LaunchCommand {
  return (launch, port) => {
    const request: LaunchRequest = { ...launch, port, host };
    return launch.engine === 'vllm' ? vllmCommand(binaries.vllm(), request) : llamaServerCommand(binaries.llamaServer(), request);
  };
}
