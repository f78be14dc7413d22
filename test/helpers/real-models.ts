// Real model files for integration tests: the Gemma 3 270M Q4_K_M that setup installs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT, toolPath } from '../../src/config/toolchain';
import type { RolloutSpecInput } from '../../src/config/spec';

export const gemmaQ4 = (): string => toolPath('gemmaModel');
export const chatTemplate = join(REPO_ROOT, 'configs/templates/question-answer.jinja');
export const evalSuite = join(REPO_ROOT, 'configs/evals/general-knowledge.jsonl');

/** Writes a spec file to a temp folder and returns its path. */
export function writeSpec(spec: RolloutSpecInput): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gantry-spec-')), 'rollout.yaml');
  writeFileSync(file, stringify(spec));
  return file;
}

/** A compressed rollout of the real model: seconds instead of weeks. */
/**
 * The promotion rules of the real-stack tests. The latency ratio is loose: on a busy 2-core machine
 * the candidate's p95 at 100% (all traffic queued on one single-threaded server) swings to several
 * times the stable's at 50%; the tests' bad candidates fail on errors, never on latency.
 */
export const REAL_STACK_PROMOTE_RULES = { minSamples: 3, maxErrorRateIncrease: 0.05, maxP95Ratio: 8 };

export function compressedSpec(route: string, overrides: Partial<RolloutSpecInput> = {}): RolloutSpecInput {
  const server = { contextSize: 2048, threads: 1, chatTemplateFile: chatTemplate };
  return {
    name: 'it-rollout',
    route,
    stable: { model: gemmaQ4(), server },
    candidate: { model: gemmaQ4(), quantize: { type: 'Q8_0' }, server, readyTimeout: '60s' },
    qa: { suite: evalSuite, maxTokens: 12, stop: ['\n'], gate: { minAccuracy: 0.5, maxErrorRate: 0 } },
    shadow: { duration: '8s', sampleRate: 1, minPairs: 3 },
    canary: {
      steps: [
        { weight: 50, duration: '6s' },
        { weight: 100, duration: '6s' },
      ],
    },
    analysis: {
      interval: '2s',
      failureLimit: 2,
      rollback: { maxErrorRate: 0.2, minRequests: 3 },
      promote: REAL_STACK_PROMOTE_RULES,
    },
    // Answer quality is on by default; seconds-long rollouts that are not about it leave it out.
    quality: 'off',
    ...overrides,
  };
}

/**
 * A tiny Hugging Face checkpoint written here, never downloaded: a two-layer Llama with random
 * weights and SmolLM2's real tokenizer, rebuilt from the SmolLM2 GGUF that setup extracts.
 */
export async function writeTinyCheckpoint(seed = 0): Promise<string> {
  const { execa } = await import('execa');
  const dir = join(mkdtempSync(join(tmpdir(), 'gantry-checkpoint-')), 'tiny-llama');
  const script = join(REPO_ROOT, 'test/helpers/write-tiny-checkpoint.py');
  await execa(toolPath('convertPython'), [script, toolPath('smollm2Model'), toolPath('llamaSource'), dir, String(seed)]);
  return dir;
}
