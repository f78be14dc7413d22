// Artifact records: a JSON file beside every artifact (`<artifact>.gantry.json`; for a GGUF file
// given as it is, in the rollout's artifacts folder) saying where it
// came from (source and its sha256, quant type, tool version), what quantizing cost, and what
// each rollout that shipped it found (QA report, outcome). `gantry model list|show` reads them;
// a rollout with the same source and type reuses an artifact whose file still matches its record.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QuantLossResult } from '../adapters/llama-perplexity';
import { replaceJsonFile } from '../json-file';

export const RECORD_SUFFIX = '.gantry.json';

export interface ArtifactUse {
  rolloutId: string;
  at: string;
  /** the QA gate's one-line summary, accuracies, flips and score */
  qa?: { summary: string; accuracy: number; stableAccuracy: number | null; score: number | null; decision: string };
  quantLossVerdict?: { passed: boolean; summary: string };
  outcome?: { result: string; reason: string; at: string };
}

export interface ArtifactRecord {
  version: 1;
  artifact: { path: string; sha256: string; sizeBytes: number; quantType: string | null };
  source: { path: string; sha256: string; kind: 'gguf' | 'hf-checkpoint'; convertedTo?: string };
  tools: { llamaCpp: string | null; convert?: string };
  createdAt: string;
  createdBy: string;
  quantLoss?: QuantLossResult & { corpus: string; corpusSha256: string; contextSize: number };
  rollouts: ArtifactUse[];
}

export const recordPathOf = (artifactPath: string): string => artifactPath + RECORD_SUFFIX;

export function readRecord(file: string): ArtifactRecord | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ArtifactRecord;
}

/** Written whole to a temporary file and renamed over the record, so a reader never sees half of one. */
export function writeRecord(file: string, record: ArtifactRecord): void {
  replaceJsonFile(file, record);
}

/** Read, change and write a record; undefined when the artifact has none. */
export function updateRecord(file: string, change: (record: ArtifactRecord) => void): ArtifactRecord | undefined {
  const record = readRecord(file);
  if (!record) return undefined;
  change(record);
  writeRecord(file, record);
  return record;
}

/** The rollout's entry in a record, created on first use. */
export function useOf(record: ArtifactRecord, rolloutId: string, now: Date): ArtifactUse {
  let use = record.rollouts.find((u) => u.rolloutId === rolloutId);
  if (!use) {
    use = { rolloutId, at: now.toISOString() };
    record.rollouts.push(use);
  }
  return use;
}

function recordFilesUnder(dir: string, depth: number): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth > 0) return recordFilesUnder(path, depth - 1);
    return entry.isFile() && entry.name.endsWith(RECORD_SUFFIX) ? [path] : [];
  });
}

export interface StoredRecord {
  file: string;
  record: ArtifactRecord;
}

/** Every record under an artifacts folder (artifacts live in one folder per rollout), newest first. */
export function listRecords(artifactsDir: string): StoredRecord[] {
  const records: StoredRecord[] = [];
  for (const file of recordFilesUnder(artifactsDir, 2)) {
    try {
      records.push({ file, record: JSON.parse(readFileSync(file, 'utf8')) as ArtifactRecord });
    } catch {
      // a record being written, or a foreign file: not listed
    }
  }
  return records.sort((a, b) => b.record.createdAt.localeCompare(a.record.createdAt));
}

/** Records of artifacts made from this source as this type, whose files still exist: candidates for reuse. */
export function reusableRecords(artifactsDir: string, sourceSha256: string, quantType: string): StoredRecord[] {
  return listRecords(artifactsDir).filter(
    ({ record }) => record.source.sha256 === sourceSha256 && record.artifact.quantType === quantType && existsSync(record.artifact.path),
  );
}
