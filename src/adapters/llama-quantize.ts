// Typed adapter over llama-quantize: builds the command, reports per-tensor progress, and turns a
// failure into an error carrying the tool's last lines.
import { execa } from 'execa';
import { ToolOutput } from './tool-output';

export interface QuantizeRequest {
  binary: string;
  source: string;
  output: string;
  type: string;
  threads?: number;
}

export interface QuantizeProgress {
  tensor: number;
  tensors: number;
}

// e.g. "[  12/ 236]                    blk.1.attn_k.weight - [  640,   256,     1,     1], type =    f16, ..."
const PROGRESS = /^\[\s*(\d+)\/\s*(\d+)\]/;

export function parseQuantizeProgress(line: string): QuantizeProgress | undefined {
  const match = PROGRESS.exec(line.trim());
  return match ? { tensor: Number(match[1]), tensors: Number(match[2]) } : undefined;
}

export function quantizeArgs(request: QuantizeRequest): string[] {
  // --allow-requantize: sources may already be quantized (a stable GGUF turned into a new type).
  const args = ['--allow-requantize', request.source, request.output, request.type];
  if (request.threads) args.push(String(request.threads));
  return args;
}

// e.g. "version: 0.5.0-dev (build 1, commit de3ff81)", the first line the tools print
const VERSION = /^version:\s*(.+)$/;

export function parseToolVersion(line: string): string | undefined {
  return VERSION.exec(line.trim())?.[1];
}

/** Quantizes; resolves with the tool's version line (null when it printed none). */
export async function runQuantize(
  request: QuantizeRequest,
  onProgress: (p: QuantizeProgress) => void,
  signal?: AbortSignal,
): Promise<{ toolVersion: string | null }> {
  let toolVersion: string | null = null;
  const child = execa(request.binary, quantizeArgs(request), { all: true, buffer: false, reject: false, cancelSignal: signal, forceKillAfterDelay: 5_000 });
  const output = new ToolOutput(child.all, (line) => {
    const progress = parseQuantizeProgress(line);
    if (progress) onProgress(progress);
    toolVersion ??= parseToolVersion(line) ?? null;
  });
  const result = await child;
  if (result.isCanceled) throw new Error('quantize cancelled');
  if (result.exitCode !== 0) {
    throw new Error(`llama-quantize exited with ${result.exitCode ?? result.signal}: ${output.tail(5)}`);
  }
  return { toolVersion };
}

/** The quantization types a llama-quantize build accepts, from its --help text ("15  or  Q4_K_M  : …", "COPY : …"). */
export function quantTypesOf(help: string): string[] {
  return [...help.matchAll(/^\s*(?:\d+\s+or\s+)?([A-Z][A-Z0-9_]*)\s+:/gm)].map((m) => m[1] as string);
}

/** The types this build knows; it prints them with its usage (and exits 1, which is not a failure here). */
export async function knownQuantTypes(binary: string): Promise<string[]> {
  const result = await execa(binary, ['--help'], { all: true, reject: false, timeout: 10_000 });
  return quantTypesOf(result.all ?? '');
}
