// Hugging Face checkpoint folders (config.json + safetensors + tokenizer): recognised, checked
// and digested here, converted to a GGUF file by llama.cpp's own convert_hf_to_gguf.py.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { sha256File } from './gguf-file';
import { ToolOutput } from './tool-output';

export class CheckpointError extends Error {}

export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Throws a CheckpointError naming what a folder lacks to be converted. */
export function checkCheckpointFolder(path: string): void {
  if (!existsSync(join(path, 'config.json'))) throw new CheckpointError(`${path} is a folder but not a Hugging Face checkpoint: it has no config.json`);
  const files = readdirSync(path);
  if (!files.some((f) => f.endsWith('.safetensors') || f.endsWith('.bin')))
    throw new CheckpointError(`${path}: the checkpoint has no weights (*.safetensors or *.bin)`);
  if (!files.some((f) => f === 'tokenizer.json' || f === 'tokenizer.model'))
    throw new CheckpointError(`${path}: the checkpoint has no tokenizer (tokenizer.json or tokenizer.model)`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : []))
    .sort();
}

/** One digest for the whole folder: each file's relative path and sha256, in order. */
export async function checkpointDigest(path: string, sha256Of: (file: string) => Promise<string> = sha256File): Promise<string> {
  const manifest = createHash('sha256');
  for (const file of filesUnder(path)) manifest.update(`${relative(path, file)}\0${await sha256Of(file)}\n`);
  return manifest.digest('hex');
}

export interface ConvertRequest {
  python: string;
  /** llama.cpp's source tree: convert_hf_to_gguf.py and its gguf-py beside it */
  llamaSource: string;
  checkpoint: string;
  output: string;
}

// e.g. "INFO:hf-to-gguf:blk.0.attn_q.weight,        torch.float32 --> F16, shape = {64, 64}"
const TENSOR_LINE = /^INFO:hf-to-gguf:(\S+),\s+torch\.\w+ --> (\w+)/;

export async function runConvert(request: ConvertRequest, onTensor: (tensor: string) => void, signal?: AbortSignal): Promise<void> {
  const script = join(request.llamaSource, 'convert_hf_to_gguf.py');
  const child = execa(request.python, [script, request.checkpoint, '--outfile', request.output, '--outtype', 'f16'], {
    all: true,
    buffer: false,
    reject: false,
    cancelSignal: signal,
    forceKillAfterDelay: 5_000,
    env: { PYTHONUNBUFFERED: '1' },
  });
  const output = new ToolOutput(child.all, (line) => {
    const tensor = TENSOR_LINE.exec(line)?.[1];
    if (tensor) onTensor(tensor);
  });
  const result = await child;
  if (result.isCanceled) throw new Error('conversion cancelled');
  if (result.exitCode !== 0) {
    throw new Error(`convert_hf_to_gguf.py exited with ${result.exitCode ?? result.signal}: ${output.tail(4)}`);
  }
}
