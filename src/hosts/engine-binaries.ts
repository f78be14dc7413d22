// Where the model-server engines are on this host. Resolved when a server starts, so a host without
// vLLM fails only when a vLLM deployment is asked for.
import { toolPath } from '../config/toolchain';
import type { EngineBinaries } from '../adapters/model-server-engine';

export const engineBinaries: EngineBinaries = { llamaServer: () => toolPath('llamaServer'), vllm: () => process.env.GANTRY_VLLM ?? 'vllm' };
