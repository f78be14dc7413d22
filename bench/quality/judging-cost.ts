// (c) What judging only the pairs that disagree saves, on the quickstart's own recorded traffic, and
// (d) how fast the cheap scores and a judge on this machine's two cores are.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShadowPair } from '../../src/gateway/pair-store';
import { scorePair } from '../../src/analysis/quality/pair-scores';
import { compileRefusalPatterns, DEFAULT_REFUSAL_PATTERNS } from '../../src/analysis/quality/refusals';
import { compileSafety } from '../../src/analysis/quality/safety';
import { combineOrders } from '../../src/analysis/quality/judge-protocol';
import { loadSafetyTable } from '../../src/config/safety-table';
import { REPO_ROOT, toolPath } from '../../src/config/toolchain';
import { callJudge, type JudgeEndpoint } from '../../src/adapters/judge-client';
import { ServerSupervisor } from '../../src/hosts/server-supervisor';
import { launchCommandFor } from '../../src/adapters/model-server-engine';
import { engineBinaries } from '../../src/hosts/engine-binaries';
import { serverOptionsSchema } from '../../src/config/spec';
import { median, round } from '../stats';

const options = {
  refusals: compileRefusalPatterns(DEFAULT_REFUSAL_PATTERNS),
  safety: compileSafety(loadSafetyTable(join(REPO_ROOT, 'configs/safety/hazmat-reference.yaml'))),
  equivalenceChrF: 0.7,
};

export function readRecordedPairs(dir: string): ShadowPair[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          const pair = JSON.parse(line) as ShadowPair;
          return pair.pairId ? [pair] : [];
        } catch {
          return [];
        }
      }),
  );
}

const needsJudge = (pair: ShadowPair): boolean => {
  const scores = scorePair(pair.prompt, pair.stable, pair.candidate, options);
  return !scores.identical && scores.outcome === 'tie' && !scores.stable.error && !scores.candidate.error;
};

export function measureJudgeSavings(pairs: readonly ShadowPair[]): Record<string, unknown> {
  const judged = pairs.filter(needsJudge).length;
  return {
    pairs: pairs.length,
    pairsSentToJudge: judged,
    judgeCallsAllPairs: pairs.length * 2,
    judgeCallsDisagreementsOnly: judged * 2,
    callsSaved: pairs.length === 0 ? null : round(1 - judged / pairs.length),
  };
}

export function measureCheapScoring(pairs: readonly ShadowPair[], rounds: number): Record<string, unknown> {
  if (pairs.length === 0) return { pairs: 0 };
  const rates: number[] = [];
  const floors: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Anchor: only reading the pairs (parse and serialise), the floor any scoring pays.
    let started = performance.now();
    for (const pair of pairs) JSON.parse(JSON.stringify(pair));
    floors.push(pairs.length / ((performance.now() - started) / 1000));
    started = performance.now();
    for (const pair of pairs) scorePair(pair.prompt, pair.stable, pair.candidate, options);
    rates.push(pairs.length / ((performance.now() - started) / 1000));
  }
  return {
    pairs: pairs.length,
    cheapScoresPairsPerSecond: Math.round(median(rates)),
    readOnlyPairsPerSecond: Math.round(median(floors)),
    scoringOverRead: round(median(floors) / median(rates)),
  };
}

/** Judgments per minute by SmolLM2 on llama-server, both orders each, beside bare one-token completions. */
export async function measureJudgeThroughput(pairs: readonly ShadowPair[], count: number, log: (line: string) => void): Promise<Record<string, unknown>> {
  const sample = pairs.filter(needsJudge).slice(0, count);
  if (sample.length === 0) return { judged: 0, note: 'no differing pairs recorded: run the quickstart first' };
  const supervisor = new ServerSupervisor(mkdtempSync(join(tmpdir(), 'gantry-bench-judge-')), launchCommandFor(engineBinaries, '127.0.0.1'));
  try {
    log(`serving SmolLM2 as a judge; judging ${sample.length} pairs in both orders…`);
    const server = await supervisor.start(
      'bench-judge',
      { engine: 'llama.cpp', modelPath: toolPath('smollm2Model'), servedName: 'judge', options: serverOptionsSchema.parse({ threads: 2 }) },
      60_000,
      () => undefined,
    );
    const judge: JudgeEndpoint = { url: server.endpoint, model: 'judge', constrain: 'grammar', seed: 7, timeoutMs: 60_000 };
    const bare: JudgeEndpoint = { ...judge, constrain: 'none' };
    let started = performance.now();
    let outcomes = { worse: 0, better: 0, tie: 0, noData: 0 };
    for (const pair of sample) {
      const first = await callJudge(judge, pair.prompt, pair.stable.answer ?? '', pair.candidate.answer ?? '', 'stable-first');
      const second = await callJudge(judge, pair.prompt, pair.candidate.answer ?? '', pair.stable.answer ?? '', 'candidate-first');
      const judged = combineOrders(first, second);
      if (judged.noData) outcomes = { ...outcomes, noData: outcomes.noData + 1 };
      else outcomes = { ...outcomes, [judged.outcome]: outcomes[judged.outcome] + 1 };
    }
    const judgmentsPerMinute = sample.length / ((performance.now() - started) / 60_000);
    started = performance.now();
    for (const pair of sample) {
      await callJudge(bare, pair.prompt, pair.stable.answer ?? '', pair.candidate.answer ?? '', 'stable-first');
      await callJudge(bare, pair.prompt, pair.candidate.answer ?? '', pair.stable.answer ?? '', 'candidate-first');
    }
    const bareJudgmentsPerMinute = sample.length / ((performance.now() - started) / 60_000);
    return {
      judged: sample.length,
      judgmentsPerMinute: round(judgmentsPerMinute, 1),
      ungrammaredPairsOfCallsPerMinute: round(bareJudgmentsPerMinute, 1),
      grammarCost: round(bareJudgmentsPerMinute / judgmentsPerMinute),
      outcomes,
    };
  } finally {
    await supervisor.stopAll();
  }
}
