// Typed adapter over llama-quantize: builds the command, reports per-tensor progress, and turns a
// failure into an error carrying the tool's last lines.
import { execa } from 'execa';

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

export async function runQuantize(request: QuantizeRequest, onProgress: (p: QuantizeProgress) => void, signal?: AbortSignal): Promise<void> {
  const tail: string[] = [];
  const child = execa(request.binary, quantizeArgs(request), { all: true, buffer: false, reject: false, cancelSignal: signal, forceKillAfterDelay: 5_000 });
  child.all?.setEncoding('utf8');
  let partial = '';
  child.all?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 15) tail.shift();
      const progress = parseQuantizeProgress(line);
      if (progress) onProgress(progress);
    }
  });
  const result = await child;
  if (result.isCanceled) throw new Error('quantize cancelled');
  if (result.exitCode !== 0) {
    throw new Error(`llama-quantize exited with ${result.exitCode ?? result.signal}: ${tail.filter(Boolean).slice(-5).join(' | ')}`);
  }
}
