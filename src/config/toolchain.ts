// Where the external tools are. scripts/setup writes .gantry/toolchain.json in the checkout;
// environment variables override it (for hosts where the tools live elsewhere).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GantryError } from '../errors';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Toolchain {
  llamaQuantize: string;
  llamaServer: string;
  temporal: string;
  temporalTestServer: string;
  python: string;
  /** the real Gemma 3 270M Q4_K_M model assembled by setup */
  gemmaModel: string;
  /** the llama.cpp source tree (gguf-py, vocab files) */
  llamaSource: string;
  /** PostgreSQL's server binaries (initdb, postgres), for the PostgreSQL pair store's tests */
  postgresBin: string;
  /** nginx and wrk, for bench/gateway */
  nginx: string;
  wrk: string;
}

const ENV: Record<keyof Toolchain, string> = {
  llamaQuantize: 'GANTRY_LLAMA_QUANTIZE',
  llamaServer: 'GANTRY_LLAMA_SERVER',
  temporal: 'GANTRY_TEMPORAL_CLI',
  temporalTestServer: 'GANTRY_TEMPORAL_TEST_SERVER',
  python: 'GANTRY_PYTHON',
  gemmaModel: 'GANTRY_GEMMA_MODEL',
  llamaSource: 'GANTRY_LLAMA_SOURCE',
  postgresBin: 'GANTRY_POSTGRES_BIN',
  nginx: 'GANTRY_NGINX',
  wrk: 'GANTRY_WRK',
};

let cached: Partial<Toolchain> | undefined;

function fromSetup(): Partial<Toolchain> {
  if (cached) return cached;
  const file = join(REPO_ROOT, '.gantry', 'toolchain.json');
  cached = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Toolchain>) : {};
  return cached;
}

/** The path of one tool; a clear error naming the variable and the setup script when it is missing. */
export function toolPath(name: keyof Toolchain): string {
  const path = process.env[ENV[name]] ?? fromSetup()[name];
  if (!path || !existsSync(path)) {
    throw new GantryError('TOOL_MISSING', `${name} not found${path ? ` at ${path}` : ''}: run scripts/setup, or set ${ENV[name]}`);
  }
  return path;
}
