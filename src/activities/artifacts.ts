// Host activities that make and describe the artifact that ships: a Hugging Face checkpoint
// converted to GGUF, quantized (or an existing artifact of the same source and type reused), its
// quantization loss measured against the source, and its record kept up to date.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FailureType } from '../errors';
import { rolloutFolder } from './rollout-folder';
import { GgufError, inspectGguf, readGgufHeader } from '../adapters/gguf-file';
import { DigestCache } from '../hosts/digest-cache';
import { runQuantize } from '../adapters/llama-quantize';
import { measureQuantLoss, type QuantLossResult } from '../adapters/llama-perplexity';
import { CheckpointError, checkCheckpointFolder, checkpointDigest, isFolder, runConvert } from '../adapters/hf-checkpoint';
import { readRecord, recordPathOf, reusableRecords, updateRecord, useOf, writeRecord, type ArtifactRecord, type ArtifactUse } from '../hosts/artifact-records';

export interface ModelArtifact {
  path: string;
  sha256: string;
  sizeBytes: number;
  ggufVersion: number;
  quantType: string | null;
  /** the artifact's record on its host */
  record?: string;
  /** the GGUF file it was quantized from (a checkpoint's conversion), for the loss measurement */
  sourceGguf?: string;
  sourceSha256?: string;
  /** an artifact of an earlier rollout, same source and type, whose file still matched its record */
  reused?: boolean;
}

export interface QuantizeInput {
  rolloutId: string;
  source: string;
  type: string;
}

export interface QuantLossInput {
  rolloutId: string;
  artifact: string;
  record?: string;
  sourceGguf: string;
  corpus: string;
  contextSize: number;
}

export interface ArtifactNote {
  record: string;
  rolloutId: string;
  qa?: ArtifactUse['qa'];
  quantLossVerdict?: ArtifactUse['quantLossVerdict'];
  outcome?: { result: string; reason: string };
}

export interface ArtifactDeps {
  artifactsDir: string;
  /** resolved lazily, so a host without a tool only fails when the tool is asked for */
  binaries: { llamaQuantize: () => string; llamaPerplexity: () => string; convertPython: () => string; llamaSource: () => string };
  now?: () => Date;
}

function modelFailure(error: unknown): never {
  if (error instanceof GgufError) {
    throw ApplicationFailure.nonRetryable(error.message, error.kind === 'missing' ? FailureType.MODEL_NOT_FOUND : FailureType.INVALID_MODEL);
  }
  if (error instanceof CheckpointError) throw ApplicationFailure.nonRetryable(error.message, FailureType.INVALID_MODEL);
  throw error;
}

export function binary(resolve: () => string): string {
  try {
    return resolve();
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, FailureType.TOOL_MISSING);
  }
}

/** A tool's failure: cancelled when the activity was, otherwise permanent with the tool's words. */
function toolFailure(error: unknown, what: string, type: FailureType): never {
  if (Context.current().cancellationSignal.aborted) throw new CancelledFailure(`${what} cancelled`);
  throw ApplicationFailure.nonRetryable((error as Error).message, type);
}

export function createArtifactActivities(deps: ArtifactDeps) {
  const now = deps.now ?? (() => new Date());
  const sources = new DigestCache(join(deps.artifactsDir, 'source-digests.json'));
  const sourceSha256Of = (file: string): Promise<string> => {
    mkdirSync(deps.artifactsDir, { recursive: true });
    return sources.sha256(file);
  };

  async function inspectModel(input: { path: string; rolloutId?: string }): Promise<ModelArtifact> {
    const info = await inspectGguf(input.path).catch(modelFailure);
    const artifact: ModelArtifact = { path: info.path, sha256: info.sha256, sizeBytes: info.sizeBytes, ggufVersion: info.version, quantType: null };
    if (!input.rolloutId) return artifact;
    // A file given as it is keeps its record in the rollout's folder, never beside the user's file.
    const record = join(rolloutFolder(deps.artifactsDir, input.rolloutId), basename(info.path) + '.gantry.json');
    writeRecord(record, {
      version: 1,
      artifact: { path: info.path, sha256: info.sha256, sizeBytes: info.sizeBytes, quantType: null },
      source: { path: info.path, sha256: info.sha256, kind: 'gguf' },
      tools: { llamaCpp: null },
      createdAt: now().toISOString(),
      createdBy: input.rolloutId,
      rollouts: [{ rolloutId: input.rolloutId, at: now().toISOString() }],
    });
    return { ...artifact, record };
  }

  /** An earlier artifact of this source and type whose file still has the sha256 its record says. */
  async function reusable(sourceSha256: string, type: string, rolloutId: string): Promise<ModelArtifact | undefined> {
    for (const { file, record } of reusableRecords(deps.artifactsDir, sourceSha256, type)) {
      const info = await inspectGguf(record.artifact.path).catch(() => undefined);
      if (info?.sha256 !== record.artifact.sha256) continue;
      updateRecord(file, (r) => void useOf(r, rolloutId, now()));
      return {
        path: info.path,
        sha256: info.sha256,
        sizeBytes: info.sizeBytes,
        ggufVersion: info.version,
        quantType: type,
        record: file,
        sourceGguf: record.source.convertedTo ?? record.source.path,
        sourceSha256,
        // a retried attempt of this rollout finds its own artifact: made, not reused
        reused: record.createdBy !== rolloutId,
      };
    }
    return undefined;
  }

  /** Converts a checkpoint folder to an F16 GGUF beside the artifact; returns the GGUF's path. */
  async function convertCheckpoint(checkpoint: string, outDir: string): Promise<string> {
    const ctx = Context.current();
    const output = join(outDir, `${basename(checkpoint)}.f16.gguf`);
    let tensors = 0;
    await runConvert(
      { python: binary(deps.binaries.convertPython), llamaSource: binary(deps.binaries.llamaSource), checkpoint, output },
      (tensor) => ctx.heartbeat({ step: 'convert', tensors: ++tensors, tensor }),
      ctx.cancellationSignal,
    ).catch((error: unknown) => toolFailure(error, 'conversion', FailureType.QUANTIZE_FAILED));
    await inspectGguf(output).catch((error: unknown) => {
      throw ApplicationFailure.nonRetryable(`converted checkpoint is not usable: ${(error as Error).message}`, FailureType.QUANTIZE_FAILED);
    });
    return output;
  }

  /**
   * The artifact of a source (a GGUF file or a checkpoint folder) as a type. An earlier artifact of
   * the same source content and type is reused. A GGUF source is hashed while llama-quantize runs,
   * so the hash costs no wall time; a match found then stops the quantization.
   */
  async function quantizeModel(input: QuantizeInput): Promise<ModelArtifact> {
    const ctx = Context.current();
    const outDir = rolloutFolder(deps.artifactsDir, input.rolloutId);
    const fromCheckpoint = isFolder(input.source);
    let sourceGguf = input.source;
    let sourceSha256: Promise<string>;
    if (fromCheckpoint) {
      try {
        checkCheckpointFolder(input.source);
      } catch (error) {
        modelFailure(error);
      }
      ctx.heartbeat({ step: 'digest' });
      const digest = await checkpointDigest(input.source, sourceSha256Of);
      const earlier = await reusable(digest, input.type, input.rolloutId);
      if (earlier) return earlier;
      mkdirSync(outDir, { recursive: true });
      sourceGguf = await convertCheckpoint(input.source, outDir);
      sourceSha256 = Promise.resolve(digest);
    } else {
      await readGgufHeader(input.source).catch(modelFailure);
      sourceSha256 = sourceSha256Of(input.source);
      mkdirSync(outDir, { recursive: true });
    }
    const output = join(outDir, `${basename(sourceGguf, '.gguf').replace(/\.f16$/, '')}.${input.type}.gguf`);
    // Written under another name and renamed when checked: a crash or a stop never leaves a file
    // at the artifact's path that looks finished.
    const partial = `${output}.partial`;
    const stop = new AbortController();
    const quantizing = runQuantize(
      { binary: binary(deps.binaries.llamaQuantize), source: sourceGguf, output: partial, type: input.type },
      (progress) => ctx.heartbeat({ step: 'quantize', ...progress }),
      AbortSignal.any([ctx.cancellationSignal, stop.signal]),
    );
    quantizing.catch(() => undefined); // awaited below; a reuse found first abandons it
    const earlier = fromCheckpoint
      ? undefined
      : await sourceSha256.then(
          (sha) => reusable(sha, input.type, input.rolloutId),
          (error: unknown) => {
            stop.abort();
            throw error;
          },
        );
    if (earlier) {
      stop.abort();
      await quantizing.catch(() => undefined);
      rmSync(partial, { force: true });
      return earlier;
    }
    const { toolVersion } = await quantizing.catch((error: unknown) => toolFailure(error, 'quantize', FailureType.QUANTIZE_FAILED));
    // Never serve what the tool claims to have written without checking it.
    const info = await inspectGguf(partial).catch((error: unknown) => {
      throw ApplicationFailure.nonRetryable(`quantized output is not usable: ${(error as Error).message}`, FailureType.QUANTIZE_FAILED);
    });
    renameSync(partial, output);
    const record = recordPathOf(output);
    writeRecord(record, {
      version: 1,
      artifact: { path: output, sha256: info.sha256, sizeBytes: info.sizeBytes, quantType: input.type },
      source: {
        path: input.source,
        sha256: await sourceSha256,
        kind: fromCheckpoint ? 'hf-checkpoint' : 'gguf',
        ...(fromCheckpoint ? { convertedTo: sourceGguf } : {}),
      },
      tools: { llamaCpp: toolVersion, ...(fromCheckpoint ? { convert: 'convert_hf_to_gguf.py --outtype f16' } : {}) },
      createdAt: now().toISOString(),
      createdBy: input.rolloutId,
      rollouts: [{ rolloutId: input.rolloutId, at: now().toISOString() }],
    });
    return {
      path: output,
      sha256: info.sha256,
      sizeBytes: info.sizeBytes,
      ggufVersion: info.version,
      quantType: input.type,
      record,
      sourceGguf,
      sourceSha256: await sourceSha256,
      reused: false,
    };
  }

  /**
   * KL divergence, same-top share and perplexity of the artifact against its source on a corpus.
   * Minutes on a CPU: heartbeats every chunk. A record that already holds the figures for this
   * corpus and context size (a reused artifact) answers without running anything.
   */
  async function measureQuantizationLoss(input: QuantLossInput): Promise<QuantLossResult> {
    const ctx = Context.current();
    let corpusText: string;
    try {
      corpusText = readFileSync(input.corpus, 'utf8');
    } catch {
      throw ApplicationFailure.nonRetryable(`quantization corpus not found: ${input.corpus}`, FailureType.INVALID_SPEC);
    }
    const corpusSha256 = createHash('sha256').update(corpusText).digest('hex');
    const known: ArtifactRecord['quantLoss'] = input.record ? readRecord(input.record)?.quantLoss : undefined;
    if (known && known.corpusSha256 === corpusSha256 && known.contextSize === input.contextSize) {
      const { corpus: _corpus, corpusSha256: _sha, contextSize: _size, ...loss } = known;
      return loss;
    }
    const workDir = rolloutFolder(deps.artifactsDir, input.rolloutId);
    mkdirSync(workDir, { recursive: true });
    // The source's logits: hundreds of MB for a small model; removed once compared.
    const baseFile = join(workDir, 'kld-base.bin');
    let loss: QuantLossResult;
    try {
      loss = await measureQuantLoss(
        {
          binary: binary(deps.binaries.llamaPerplexity),
          source: input.sourceGguf,
          artifact: input.artifact,
          corpus: input.corpus,
          baseFile,
          contextSize: input.contextSize,
        },
        (progress) => ctx.heartbeat(progress),
        ctx.cancellationSignal,
      );
    } catch (error) {
      toolFailure(error, 'quantization loss', FailureType.QUANTIZE_FAILED);
    } finally {
      rmSync(baseFile, { force: true });
    }
    if (input.record) updateRecord(input.record, (r) => void (r.quantLoss = { ...loss, corpus: input.corpus, corpusSha256, contextSize: input.contextSize }));
    return loss;
  }

  /** Adds what a rollout found (QA, loss verdict, outcome) to the artifact's record. */
  async function annotateArtifact(note: ArtifactNote): Promise<{ annotated: boolean }> {
    const updated = updateRecord(note.record, (record) => {
      const use = useOf(record, note.rolloutId, now());
      if (note.qa) use.qa = note.qa;
      if (note.quantLossVerdict) use.quantLossVerdict = note.quantLossVerdict;
      if (note.outcome) use.outcome = { ...note.outcome, at: now().toISOString() };
    });
    return { annotated: updated !== undefined };
  }

  return { inspectModel, quantizeModel, measureQuantizationLoss, annotateArtifact };
}
