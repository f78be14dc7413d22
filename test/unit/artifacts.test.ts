// The artifact side of the QA gate: llama-perplexity and llama-quantize output parsed from captured
// real runs, the quantization-loss gate, checkpoint folders, and artifact records with reuse.
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuantLoss, vocabularyMismatch, type QuantLossResult } from '../../src/adapters/llama-perplexity';
import { parseToolVersion, quantTypesOf } from '../../src/adapters/llama-quantize';
import { CheckpointError, checkCheckpointFolder, checkpointDigest } from '../../src/adapters/hf-checkpoint';
import { judgeQuantLoss } from '../../src/analysis/quant-loss-gate';
import { DigestCache } from '../../src/hosts/digest-cache';
import { listRecords, readRecord, reusableRecords, updateRecord, useOf, writeRecord, type ArtifactRecord } from '../../src/hosts/artifact-records';
import { findRecord } from '../../src/cli/model/commands';
import { quantLossSchema } from '../../src/config/spec';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../fixtures', name), 'utf8');

describe('llama-perplexity adapter (captured runs: Gemma 3 270M F16 against its Q8_0 and Q2_K)', () => {
  it('reads KL divergence, its 99th percentile, the same-top share and both perplexities', () => {
    const { sameTop, ...rest } = parseQuantLoss(fixture('llama-perplexity/kld-q8_0.txt'));
    assert.deepEqual(rest, { kldMean: 0.003103, kldP99: 0.015969, pplArtifact: 20.288334, pplSource: 20.280494, pplRatio: 1.000387 });
    assert.ok(Math.abs(sameTop - 0.94558) < 1e-9, String(sameTop));
    const q2 = parseQuantLoss(fixture('llama-perplexity/kld-q2_k.txt'));
    assert.equal(q2.kldP99, 1.873856);
    assert.equal(q2.pplRatio, 1.66273);
    assert.ok(Math.abs(q2.sameTop - 0.63265) < 1e-9);
  });
  it('names what is missing from a run that printed no KL divergence (the base pass)', () => {
    assert.throws(() => parseQuantLoss(fixture('llama-perplexity/base.txt')), /printed no kldMean, kldP99, sameTop/);
  });
  it('tells a vocabulary mismatch (SmolLM2 against Gemma) from a clean run', () => {
    assert.equal(vocabularyMismatch(fixture('llama-perplexity/kld-vocab-mismatch.txt')), true);
    assert.equal(vocabularyMismatch(fixture('llama-perplexity/kld-q8_0.txt')), false);
  });
});

describe('llama-quantize adapter: types and version', () => {
  it('lists the types of the captured --help, COPY and aliases included', () => {
    const types = quantTypesOf(fixture('llama-quantize-help.txt'));
    for (const type of ['Q8_0', 'Q4_K_M', 'Q2_K', 'IQ2_XXS', 'F16', 'BF16', 'COPY']) assert.ok(types.includes(type), type);
    assert.ok(!types.includes('Q9_0'));
    assert.equal(types.length, 39);
  });
  it('reads the version line the tools print first', () => {
    assert.equal(parseToolVersion('version: 0.5.0-dev (build 1, commit de3ff81)'), '0.5.0-dev (build 1, commit de3ff81)');
    assert.equal(parseToolVersion('llama_quantize: quantize time =    92.74 ms'), undefined);
  });
});

describe('quantization-loss gate', () => {
  const q8: QuantLossResult = { measured: true, kldMean: 0.0031, kldP99: 0.016, sameTop: 0.9456, pplArtifact: 20.29, pplSource: 20.28, pplRatio: 1.0004 };
  const q2: QuantLossResult = { measured: true, kldMean: 0.469, kldP99: 1.874, sameTop: 0.6327, pplArtifact: 33.72, pplSource: 20.28, pplRatio: 1.6627 };
  const rules = quantLossSchema.parse({ corpus: 'c.txt', maxKldMean: 0.05, maxKldP99: 0.5, minSameTop: 0.85, maxPplRatio: 1.05 });
  it('passes Q8_0 and blocks Q2_K on every threshold, naming each', () => {
    assert.equal(judgeQuantLoss(q8, rules).passed, true);
    const verdict = judgeQuantLoss(q2, rules);
    assert.equal(verdict.passed, false);
    assert.deepEqual(verdict.failures, ['mean KLD 0.469 > 0.05', 'p99 KLD 1.874 > 0.5', 'same top token 63.3% < 85.0%', 'perplexity ratio 1.6627 > 1.05']);
  });
  it('judges only the thresholds given; the edge value itself passes', () => {
    assert.equal(judgeQuantLoss(q2, quantLossSchema.parse({ corpus: 'c.txt' })).passed, true);
    assert.equal(judgeQuantLoss({ ...q8, kldMean: 0.05 }, rules).passed, true);
    assert.equal(judgeQuantLoss({ ...q8, sameTop: 0.8499 }, rules).passed, false);
  });
  it('an unmeasured loss (vocabularies differ) is noted, never a failure', () => {
    const verdict = judgeQuantLoss({ measured: false, reason: 'the vocabularies differ' }, rules);
    assert.equal(verdict.passed, true);
    assert.match(verdict.summary, /not measured: the vocabularies differ/);
  });
  it('refuses a context size too small to measure anything', () => {
    assert.equal(quantLossSchema.safeParse({ corpus: 'c.txt', contextSize: 4 }).success, false);
  });
});

describe('Hugging Face checkpoint folders', () => {
  const folder = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-ckpt-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  it('names what a folder lacks: config, weights, tokenizer', () => {
    assert.throws(
      () => checkCheckpointFolder(folder({ 'model.safetensors': 'x' })),
      (e: Error) => e instanceof CheckpointError && /has no config\.json/.test(e.message),
    );
    assert.throws(() => checkCheckpointFolder(folder({ 'config.json': '{}' })), /has no weights/);
    assert.throws(() => checkCheckpointFolder(folder({ 'config.json': '{}', 'model.safetensors': 'x' })), /has no tokenizer/);
    checkCheckpointFolder(folder({ 'config.json': '{}', 'model.safetensors': 'x', 'tokenizer.json': '{}' }));
  });
  it('digests the whole folder: any file changed or renamed changes it', async () => {
    const files = { 'config.json': '{}', 'model.safetensors': 'weights', 'tokenizer.json': '{}' };
    const a = await checkpointDigest(folder(files));
    assert.equal(await checkpointDigest(folder(files)), a);
    assert.notEqual(await checkpointDigest(folder({ ...files, 'model.safetensors': 'weightz' })), a);
    assert.notEqual(await checkpointDigest(folder({ 'config.json': '{}', 'model-1.safetensors': 'weights', 'tokenizer.json': '{}' })), a);
  });
});

describe('artifact records', () => {
  const record = (dir: string, rollout: string, sha: string, type: string | null, createdAt: string): { file: string; record: ArtifactRecord } => {
    const path = join(dir, rollout, `model.${type ?? 'given'}.gguf`);
    mkdirSync(join(dir, rollout), { recursive: true });
    writeFileSync(path, 'GGUF');
    const r: ArtifactRecord = {
      version: 1,
      artifact: { path, sha256: sha.repeat(64), sizeBytes: 4, quantType: type },
      source: { path: '/models/src.gguf', sha256: 's'.repeat(64), kind: 'gguf' },
      tools: { llamaCpp: 'version 1' },
      createdAt,
      createdBy: rollout,
      rollouts: [{ rolloutId: rollout, at: createdAt }],
    };
    writeRecord(`${path}.gantry.json`, r);
    return { file: `${path}.gantry.json`, record: r };
  };
  it('lists newest first, finds reusable ones by source and type, and records every use once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-records-'));
    record(dir, 'r1', 'a', 'Q8_0', '2026-01-01T00:00:00Z');
    const second = record(dir, 'r2', 'b', 'Q2_K', '2026-01-02T00:00:00Z');
    writeFileSync(join(dir, 'r2', 'junk.gantry.json'), '{not json');
    assert.deepEqual(
      listRecords(dir).map((r) => r.record.createdBy),
      ['r2', 'r1'],
    );
    assert.deepEqual(
      reusableRecords(dir, 's'.repeat(64), 'Q8_0').map((r) => r.record.createdBy),
      ['r1'],
    );
    assert.deepEqual(reusableRecords(dir, 't'.repeat(64), 'Q8_0'), []);
    const now = new Date('2026-01-03T00:00:00Z');
    updateRecord(second.file, (r) => {
      useOf(r, 'r3', now).outcome = { result: 'Promoted', reason: 'ok', at: now.toISOString() };
      useOf(r, 'r3', now);
    });
    const updated = readRecord(second.file);
    assert.deepEqual(
      updated?.rollouts.map((u) => [u.rolloutId, u.outcome?.result]),
      [
        ['r2', undefined],
        ['r3', 'Promoted'],
      ],
    );
    assert.equal(
      updateRecord(join(dir, 'none.gantry.json'), () => undefined),
      undefined,
    );
  });
  it('gantry model show finds one by path, record or sha256 prefix, and refuses unknown or ambiguous ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-records-'));
    const a = record(dir, 'r1', 'a', 'Q8_0', '2026-01-01T00:00:00Z');
    record(dir, 'r2', 'a', 'Q2_K', '2026-01-02T00:00:00Z');
    const all = listRecords(dir);
    assert.equal(findRecord(all, a.record.artifact.path).file, a.file);
    assert.equal(findRecord(all, a.file).record.createdBy, 'r1');
    assert.throws(() => findRecord(all, 'aaaaaa'), /matches 2 artifacts/);
    assert.throws(() => findRecord(all, 'ffffff'), /no artifact record matches "ffffff"/);
    assert.throws(() => findRecord(all, 'aa'), /no artifact record/);
  });
});

describe('the source digest cache', () => {
  it('reads a source once, and again when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-digests-'));
    const source = join(dir, 'model.gguf');
    writeFileSync(source, 'weights, version one');
    const cache = new DigestCache(join(dir, 'digests.json'));
    const first = await cache.sha256(source);
    assert.equal(first, createHash('sha256').update('weights, version one').digest('hex'));
    const remembered = JSON.parse(readFileSync(join(dir, 'digests.json'), 'utf8')) as Record<string, { sha256: string }>;
    assert.equal(Object.values(remembered)[0]?.sha256, first);
    // A remembered digest is answered without reading: prove it by planting one.
    writeFileSync(join(dir, 'digests.json'), JSON.stringify({ [source]: { ...Object.values(remembered)[0], sha256: 'planted' } }));
    assert.equal(await cache.sha256(source), 'planted');
    // Rewritten (same size, new time): read again.
    writeFileSync(source, 'weights, version two');
    utimesSync(source, new Date(), new Date(Date.now() + 5_000));
    assert.equal(await cache.sha256(source), createHash('sha256').update('weights, version two').digest('hex'));
  });
});
