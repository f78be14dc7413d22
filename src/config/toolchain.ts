// Where the external tools are. scripts/setup writes .gantry/toolchain.json in the checkout;
// environment variables override it (for hosts where the tools live elsewhere).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GantryError } from '../errors';
import { DEFAULT_STATE_DIR, PACKAGE_ROOT } from './package-root';

/** The checkout (or installed package) Gantry runs from. */
export const REPO_ROOT = PACKAGE_ROOT;

export interface Toolchain {
  llamaQuantize: string;
  llamaServer: string;
  /** KL divergence and perplexity of a quantized model against its source */
  llamaPerplexity: string;
  temporal: string;
  temporalTestServer: string;
  python: string;
  /** a Python with llama.cpp's convert_hf_to_gguf.py requirements (torch, transformers) */
  convertPython: string;
  /** the real Gemma 3 270M Q4_K_M model assembled by setup */
  gemmaModel: string;
  /** SmolLM2-135M-Instruct (Q4_1), a second model family, extracted by setup */
  smollm2Model: string;
  /** the llama.cpp source tree (gguf-py, vocab files) */
  llamaSource: string;
  /** PostgreSQL's server binaries (initdb, postgres), for the PostgreSQL pair store's tests */
  postgresBin: string;
  /** nginx and wrk, for bench/gateway */
  nginx: string;
  wrk: string;
  /** Debian's Prometheus and its promtool: the Prometheus metric provider's store, and rule checks */
  prometheus: string;
  promtool: string;
  /** Debian's Chromium: the rollout report's tests open it headless */
  chromium: string;
}

const ENV: Record<keyof Toolchain, string> = {
  llamaQuantize: 'GANTRY_LLAMA_QUANTIZE',
  llamaServer: 'GANTRY_LLAMA_SERVER',
  llamaPerplexity: 'GANTRY_LLAMA_PERPLEXITY',
  temporal: 'GANTRY_TEMPORAL_CLI',
  temporalTestServer: 'GANTRY_TEMPORAL_TEST_SERVER',
  python: 'GANTRY_PYTHON',
  convertPython: 'GANTRY_CONVERT_PYTHON',
  gemmaModel: 'GANTRY_GEMMA_MODEL',
  smollm2Model: 'GANTRY_SMOLLM2_MODEL',
  llamaSource: 'GANTRY_LLAMA_SOURCE',
  postgresBin: 'GANTRY_POSTGRES_BIN',
  nginx: 'GANTRY_NGINX',
  wrk: 'GANTRY_WRK',
  prometheus: 'GANTRY_PROMETHEUS',
  promtool: 'GANTRY_PROMTOOL',
  chromium: 'GANTRY_CHROMIUM',
};

let cached: Partial<Toolchain> | undefined;

function fromSetup(): Partial<Toolchain> {
  if (cached) return cached;
  // scripts/setup writes it into the checkout's .gantry; an installed package reads the state folder's.
  const file = [join(PACKAGE_ROOT, '.gantry', 'toolchain.json'), join(process.env.GANTRY_STATE_DIR ?? DEFAULT_STATE_DIR, 'toolchain.json')].find((f) =>
    existsSync(f),
  );
  cached = file ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Toolchain>) : {};
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
