// Typed adapter over llama-perplexity's KL-divergence mode: how far a quantized model's token
// probabilities are from its source's on a text corpus. The source runs once with
// --kl-divergence-base FILE to save its logits; the artifact then runs against that file.
import { execa } from 'execa';
import type { QuantLoss, QuantLossResult } from '../analysis/quant-loss';

export type { QuantLoss, QuantLossResult } from '../analysis/quant-loss';

export interface QuantLossRequest {
  binary: string;
  source: string;
  artifact: string;
  corpus: string;
  /** where the source's logits are kept between the two runs */
  baseFile: string;
  contextSize: number;
  threads?: number;
}

export interface PerplexityProgress {
  pass: 'source' | 'artifact';
  chunk: number;
  chunks: number;
}

const number = (text: string, pattern: RegExp): number | undefined => {
  const match = pattern.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
};

/** The KL-divergence statistics of an artifact run's output; throws when they are not there. */
export function parseQuantLoss(output: string): QuantLoss {
  const values = {
    kldMean: number(output, /^Mean\s+KLD:\s+([\d.eE+-]+)/m),
    kldP99: number(output, /^99\.0%\s+KLD:\s+([\d.eE+-]+)/m),
    sameTop: number(output, /^Same top p:\s+([\d.eE+-]+)\s*±/m),
    pplArtifact: number(output, /^Mean PPL\(Q\)\s+:\s+([\d.eE+-]+)/m),
    pplSource: number(output, /^Mean PPL\(base\)\s+:\s+([\d.eE+-]+)/m),
    pplRatio: number(output, /^Mean PPL\(Q\)\/PPL\(base\)\s+:\s+([\d.eE+-]+)/m),
  };
  const missing = Object.entries(values).filter(([, v]) => v === undefined || Number.isNaN(v));
  if (missing.length) throw new Error(`llama-perplexity printed no ${missing.map(([k]) => k).join(', ')}`);
  const v = values as Record<keyof QuantLoss, number>;
  return { ...v, sameTop: v.sameTop / 100 };
}

/** The two files cannot be compared token by token: their vocabularies differ. */
export function vocabularyMismatch(output: string): boolean {
  return /invalid token\[\d+\]|failed to decode|n_vocab mismatch|vocab size mismatch/i.test(output);
}

// e.g. "perplexity: calculating perplexity over 7 chunks" and "[1]22.7630,[2]25.8880,"
const CHUNKS = /calculating perplexity over (\d+) chunks/;
const DONE = /\[(\d+)\][\d.]+/g;

async function run(
  binary: string,
  args: string[],
  pass: PerplexityProgress['pass'],
  onProgress: (p: PerplexityProgress) => void,
  signal?: AbortSignal,
): Promise<{ output: string; exitCode: number | undefined }> {
  const child = execa(binary, args, { all: true, buffer: false, reject: false, cancelSignal: signal, forceKillAfterDelay: 5_000 });
  child.all?.setEncoding('utf8');
  let output = '';
  let chunks = 0;
  child.all?.on('data', (text: string) => {
    output += text;
    const total = CHUNKS.exec(text)?.[1];
    if (total) chunks = Number(total);
    for (const match of text.matchAll(DONE)) onProgress({ pass, chunk: Number(match[1]), chunks });
  });
  const result = await child;
  if (result.isCanceled) throw new Error('llama-perplexity cancelled');
  return { output, exitCode: result.exitCode };
}

export async function measureQuantLoss(request: QuantLossRequest, onProgress: (p: PerplexityProgress) => void, signal?: AbortSignal): Promise<QuantLossResult> {
  const common = [
    '-f',
    request.corpus,
    '-c',
    String(request.contextSize),
    '-b',
    String(request.contextSize),
    ...(request.threads ? ['-t', String(request.threads)] : []),
  ];
  const base = await run(request.binary, ['-m', request.source, ...common, '--kl-divergence-base', request.baseFile], 'source', onProgress, signal);
  if (base.exitCode !== 0) throw new Error(`llama-perplexity on the source exited with ${base.exitCode}: ${tail(base.output)}`);
  const artifact = await run(
    request.binary,
    ['-m', request.artifact, ...common, '--kl-divergence-base', request.baseFile, '--kl-divergence'],
    'artifact',
    onProgress,
    signal,
  );
  if (vocabularyMismatch(artifact.output))
    return { measured: false, reason: "the source's and the artifact's vocabularies differ: their token probabilities cannot be compared" };
  if (artifact.exitCode !== 0) throw new Error(`llama-perplexity on the artifact exited with ${artifact.exitCode}: ${tail(artifact.output)}`);
  return { measured: true, ...parseQuantLoss(artifact.output) };
}

const tail = (output: string): string => output.trimEnd().split('\n').slice(-4).join(' | ');
