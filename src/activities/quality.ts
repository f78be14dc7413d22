// Answer-quality activities: score a rollout's new pairs (cheap scores, safety, the judge on pairs
// that differ), audit the judge, and run the eval set against both variants. Each returns counts
// for the workflow's state; the per-pair record goes to files beside the orchestrator, one file
// per batch, named by the batch's cursor. A retried batch starts from the same cursor, finds its
// file and reuses the judgments in it: a worker killed mid-scoring never calls the judge twice for
// a pair, and the workflow, which applies a batch's counts once, never counts a pair twice.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FailureType, GantryError } from '../errors';
import type { GatewayAdminClient } from '../gateway/admin-client';
import type { PairDirection, ShadowPair } from '../gateway/pair-store';
import type { Upstream } from '../gateway/route-config';
import { callJudge, type JudgeEndpoint } from '../adapters/judge-client';
import { scorePair, type PairScores, type ScoringOptions } from '../analysis/quality/pair-scores';
import { compileRefusalPatterns, DEFAULT_REFUSAL_PATTERNS } from '../analysis/quality/refusals';
import { compileSafety } from '../analysis/quality/safety';
import { auditItems, combineOrders, inJudgeSample, JUDGE_TEMPLATE, scoreAudit, type JudgeCall, type JudgedOutcome } from '../analysis/quality/judge-protocol';
import { emptyLikelihood, emptyPairTotals, type EvalFlips, type JudgeAudit, type PairTotals } from '../analysis/quality/quality-totals';
import { parseEvalSuite } from '../analysis/eval-suite';
import { scoreAnswer } from '../analysis/qa-gate';
import { loadSafetyTable } from '../config/safety-table';
import { completeChat } from '../adapters/chat-client';
import { answerLogProb, renderPrompt, serverBaseOf, type ReferenceServer } from '../adapters/likelihood-client';
import { likelihoodOutcome, messagesFromRecordedPrompt, withoutQuestion } from '../analysis/quality/likelihood';
import { secretFromEnv } from './secrets';
import { rolloutFolder } from './rollout-folder';
import { limiter, type Limiter } from './limiter';
import { Memo } from './memo';
import { REPO_ROOT } from '../config/toolchain';
import { replaceJsonFile } from '../json-file';

export interface QualityDeps {
  gateway: GatewayAdminClient;
  /** where per-pair scores and eval answers are kept, per rollout */
  dataDir: string;
  /** evaluation requests to a route's stable (eval set, likelihood judge) in flight at once, from this worker (default 1) */
  stableConcurrency?: number;
}

/** How to reach the judge, as the workflow knows it: the key is named, never carried. */
export interface JudgeTarget {
  url: string;
  model: string;
  apiKeyEnv?: string;
  constrain: 'grammar' | 'none';
  seed: number;
  timeoutMs: number;
  /** endpoint and model, or the served file's sha256 */
  identity: string;
}

export interface ScoringSettings {
  refusalPatterns: string[] | null;
  equivalenceChrF: number;
  safetyTable: string | null;
  /** the likelihood judge: the route's stable scores both answers of each differing pair; absent: off */
  likelihood?: { worseBelow: number; timeoutMs: number } | null;
}

export interface ScorePairsInput {
  route: string;
  rolloutId: string;
  cursor: string | null;
  untilMs: number;
  limit: number;
  /**
   * Time this batch may spend before it stops and leaves the rest for the next interval (the
   * likelihood judge waits on a stable that serves users first); unset: no limit.
   */
  budgetMs?: number;
  settings: ScoringSettings;
  /** null without a judge, or when it failed its audit */
  judge: (JudgeTarget & { sampleRate: number; maxCalls: number }) | null;
}

export interface ScorePairsResult {
  cursor: string | null;
  scored: number;
  /** by the pair's direction: shadow pairs, the canary's reverse-shadow pairs, and the noise floor's A/A pairs */
  totals: { shadow: PairTotals; canary: PairTotals; floor: PairTotals };
  judgeCalls: number;
}

/** What is kept for each scored pair: enough to show it, audit it, and replay its judgment. */
export interface ScoreRecord {
  pairId: string;
  time: string;
  direction: PairDirection;
  /** the likelihood judge's difference (candidate minus stable, nats per token), or why it has none */
  likelihood?: { delta: number; pmi: number; worse: boolean } | { error: string } | null;
  scores: Omit<PairScores, 'stable' | 'candidate'> & { stable: Pick<PairScores['stable'], 'safety'>; candidate: Pick<PairScores['candidate'], 'safety'> };
  judge: { identity: string; templateHash: string; seed: number; calls: JudgeCall[]; outcome: JudgedOutcome } | null;
  prompt: string;
  stableAnswer: string | null;
  candidateAnswer: string | null;
}

export const TEMPLATE_HASH = createHash('sha256').update(JUDGE_TEMPLATE).digest('hex').slice(0, 16);

function judgeEndpoint(target: JudgeTarget): JudgeEndpoint {
  const apiKey = target.apiKeyEnv ? secretFromEnv('quality.judge.apiKeyEnv', target.apiKeyEnv, target.url) : undefined;
  return { url: target.url, model: target.model, apiKey, constrain: target.constrain, seed: target.seed, timeoutMs: target.timeoutMs };
}

/** Both orders, anonymous labels: the candidate is B first, then A. */
async function judgePair(endpoint: JudgeEndpoint, prompt: string, stable: string, candidate: string): Promise<{ calls: JudgeCall[]; outcome: JudgedOutcome }> {
  const first = await callJudge(endpoint, prompt, stable, candidate, 'stable-first');
  Context.current().heartbeat();
  const second = await callJudge(endpoint, prompt, candidate, stable, 'candidate-first');
  return { calls: [first, second], outcome: combineOrders(first, second) };
}

function scoringOptions(settings: ScoringSettings): ScoringOptions {
  let safety = null;
  if (settings.safetyTable) {
    try {
      safety = compileSafety(loadSafetyTable(settings.safetyTable));
    } catch (error) {
      throw ApplicationFailure.nonRetryable((error as Error).message, FailureType.INVALID_SPEC);
    }
  }
  return { refusals: compileRefusalPatterns(settings.refusalPatterns ?? DEFAULT_REFUSAL_PATTERNS), safety, equivalenceChrF: settings.equivalenceChrF };
}

function addScores(totals: PairTotals, scores: PairScores, judged: JudgedOutcome | null, skipped: boolean): void {
  totals.pairs += 1;
  if (scores.outcome === 'worse') totals.worse += 1;
  if (scores.outcome === 'better') totals.better += 1;
  if (judged && !judged.noData) {
    totals.judge.judged += 1;
    if (judged.outcome === 'worse') totals.judge.worse += 1;
    else if (judged.outcome === 'better') totals.judge.better += 1;
    else totals.judge.ties += 1;
  } else if (judged?.noData) totals.judge.failed += 1;
  else if (skipped) totals.judge.skipped += 1;
  // Equivalent or better: no failure of its own and the same answer, a close one, or the judge's tie or win.
  const judgedFine = judged !== null && !judged.noData && judged.outcome !== 'worse';
  const equivalent = scores.outcome !== 'worse' && (scores.equivalent || judgedFine || scores.outcome === 'better');
  if (equivalent) totals.equivalent += 1;
  if (!scores.candidate.error) {
    totals.safety.answers += 1;
    if (scores.candidate.safety.length) totals.safety.candidateFailures += 1;
    if (scores.stable.safety.length) totals.safety.stableFailures += 1;
    if (scores.safetyOutcome === 'worse') totals.safety.worse += 1;
    if (scores.safetyOutcome === 'better') totals.safety.better += 1;
  }
}

/** The route's stable as the likelihood judge's reference: its llama-server, reached directly. */
export interface LikelihoodReference {
  server: ReferenceServer;
  /** an error that keeps every pair of this batch from being scored (the route has no stable) */
  unusable: string | null;
}

function addLikelihood(totals: PairTotals, outcome: ScoreRecord['likelihood']): void {
  const l = (totals.likelihood ??= emptyLikelihood());
  if (!outcome) return;
  if ('error' in outcome) {
    l.failed += 1;
    l.lastError = outcome.error;
    return;
  }
  l.scored += 1;
  l.deltaSum += Math.min(outcome.delta, outcome.pmi);
  if (outcome.worse) l.worse += 1;
}

/**
 * Identical answers are no worse (difference 0) and cost no call; answers the cheap checks already
 * found failing are left to them; the rest are read by the reference, both answers, one after the
 * other (its slots are shared with live users).
 */
async function scoreLikelihood(
  reference: LikelihoodReference,
  pair: ShadowPair,
  scores: PairScores,
  worseBelow: number,
  toStable: Limiter,
  memo: Memo,
): Promise<ScoreRecord['likelihood']> {
  if (scores.stable.error || scores.candidate.error) return null;
  if (scores.identical) return { delta: 0, pmi: 0, worse: false };
  if (reference.unusable) return { error: reference.unusable };
  const messages = messagesFromRecordedPrompt(pair.prompt);
  if (!messages) return { error: 'the route keeps only a hash of each prompt (pairPrompt: hash)' };
  try {
    const render = (conversation: { role: string; content: string }[]): Promise<string> =>
      memo.get(`template\u0000${reference.server.baseUrl}\u0000${JSON.stringify(conversation)}`, () =>
        toStable(() => renderPrompt(reference.server, conversation)),
      );
    const prompt = await render(messages);
    const noQuestion = await render(withoutQuestion(messages));
    // Live traffic repeats itself (popular prompts, greedy answers): each (prompt, answer) is read once.
    const logProb = (context: string, answer: string): Promise<number | null> =>
      memo.get(`answer\u0000${reference.server.baseUrl}\u0000${context}\u0000${answer}`, () =>
        toStable(() => answerLogProb(reference.server, context, answer)),
      );
    const [candidate, stable] = [pair.candidate.answer ?? '', pair.stable.answer ?? ''];
    const probs = {
      candidate: await logProb(prompt, candidate),
      stable: await logProb(prompt, stable),
      candidateWithoutQuestion: await logProb(noQuestion, candidate),
      stableWithoutQuestion: await logProb(noQuestion, stable),
    };
    if (probs.candidate === null || probs.stable === null || probs.candidateWithoutQuestion === null || probs.stableWithoutQuestion === null) return null;
    return likelihoodOutcome(
      {
        candidate: probs.candidate,
        stable: probs.stable,
        candidateWithoutQuestion: probs.candidateWithoutQuestion,
        stableWithoutQuestion: probs.stableWithoutQuestion,
      },
      worseBelow,
    );
  } catch (error) {
    return { error: (error as Error).message.slice(0, 200) };
  }
}

export function createQualityActivities(deps: QualityDeps) {
  const toStable = limiter(deps.stableConcurrency ?? 1);
  const memo = new Memo(20_000);
  async function referenceOf(route: string, timeoutMs: number): Promise<LikelihoodReference> {
    const config = await deps.gateway.getRoute(route).catch(() => null);
    if (!config) return { server: { baseUrl: '', timeoutMs }, unusable: `route "${route}" could not be read from the gateway` };
    return { server: { baseUrl: serverBaseOf(config.stable.url), apiKey: config.stable.apiKey, timeoutMs }, unusable: null };
  }

  const rolloutDir = (rolloutId: string): string => {
    const dir = rolloutFolder(join(deps.dataDir, 'quality'), rolloutId);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  async function scorePairs(input: ScorePairsInput): Promise<ScorePairsResult> {
    const options = scoringOptions(input.settings);
    let page;
    try {
      page = await deps.gateway.pairRange(input.route, input.rolloutId, input.cursor, input.limit, input.untilMs);
    } catch (error) {
      if (error instanceof GantryError && error.type === FailureType.GATEWAY_REJECTED) throw ApplicationFailure.nonRetryable(error.message, error.type);
      throw error;
    }
    const batchFile = join(
      rolloutDir(input.rolloutId),
      `batch-${createHash('sha256')
        .update(input.cursor ?? 'start')
        .digest('hex')
        .slice(0, 20)}.jsonl`,
    );
    const earlier = readBatch(batchFile);
    const endpoint = input.judge ? judgeEndpoint(input.judge) : null;
    const reference = input.settings.likelihood ? await referenceOf(input.route, input.settings.likelihood.timeoutMs) : null;
    const totals = { shadow: emptyPairTotals(), canary: emptyPairTotals(), floor: emptyPairTotals() };
    const records: ScoreRecord[] = [];
    let judgeCalls = 0;
    const ctx = Context.current();
    const startedAt = Date.now();
    let next = page.next;
    for (const [index, pair] of page.pairs.entries()) {
      ctx.heartbeat({ scored: records.length, of: page.pairs.length });
      if (input.budgetMs !== undefined && index > 0 && Date.now() - startedAt > input.budgetMs) {
        // Out of time: the cursor after exactly the pairs scored, so the next batch starts at this one.
        next = (await deps.gateway.pairRange(input.route, input.rolloutId, input.cursor, index, input.untilMs)).next;
        break;
      }
      const scores = scorePair(pair.prompt, pair.stable, pair.candidate, options);
      let judge: ScoreRecord['judge'] = earlier.get(pair.pairId)?.judge ?? null;
      let skipped = false;
      const differs = !scores.identical && scores.outcome === 'tie' && !scores.stable.error && !scores.candidate.error;
      if (!judge && input.judge && endpoint && differs) {
        if (inJudgeSample(pair.pairId, input.judge.sampleRate) && judgeCalls + 2 <= input.judge.maxCalls) {
          const judged = await judgePair(endpoint, pair.prompt, pair.stable.answer ?? '', pair.candidate.answer ?? '');
          judgeCalls += 2;
          judge = { identity: input.judge.identity, templateHash: TEMPLATE_HASH, seed: input.judge.seed, ...judged };
        } else skipped = true;
      }
      const into = totals[pair.direction === 'reverse' ? 'canary' : pair.direction === 'aa' ? 'floor' : 'shadow'];
      addScores(into, scores, judge?.outcome ?? null, skipped);
      let likelihood: ScoreRecord['likelihood'] = null;
      if (reference && input.settings.likelihood) {
        likelihood =
          earlier.get(pair.pairId)?.likelihood ?? (await scoreLikelihood(reference, pair, scores, input.settings.likelihood.worseBelow, toStable, memo));
        addLikelihood(into, likelihood);
      }
      const record = { ...recordOf(pair, scores, judge), likelihood };
      records.push(record);
      // Kept as each pair is done, so a retry after a crash finds the judgments already made.
      if (!earlier.has(pair.pairId)) appendFileSync(batchFile, `${JSON.stringify(record)}\n`);
    }
    return { cursor: next, scored: records.length, totals, judgeCalls };
  }

  /** Identical answers must tie and corrupted ones must lose, or the judge gives no data in this rollout. */
  async function auditJudge(input: { rolloutId: string; judge: JudgeTarget; examples: string; minTieRate: number; minLossRate: number }): Promise<JudgeAudit> {
    const examples = readExamples(input.examples || join(REPO_ROOT, 'configs', 'quality', 'judge-audit.jsonl'));
    const items = auditItems(examples);
    const endpoint = judgeEndpoint(input.judge);
    const ctx = Context.current();
    const outcomes: JudgedOutcome[] = [];
    const log: unknown[] = [];
    for (const item of items) {
      ctx.heartbeat({ audited: outcomes.length, of: items.length });
      const judged = await judgePair(endpoint, item.prompt, item.good, item.other);
      outcomes.push(judged.outcome);
      log.push({ ...item, ...judged });
    }
    writeFileSync(
      join(rolloutDir(input.rolloutId), 'judge-audit.json'),
      JSON.stringify({ identity: input.judge.identity, templateHash: TEMPLATE_HASH, items: log }, null, 1),
    );
    const score = scoreAudit(items, outcomes);
    const passed = score.tieRate >= input.minTieRate && score.lossRate >= input.minLossRate;
    const summary =
      `identical answers tied ${score.ties.got}/${score.ties.expected} (${(score.tieRate * 100).toFixed(0)}%, min ${(input.minTieRate * 100).toFixed(0)}%), ` +
      `corrupted answers lost ${score.losses.got}/${score.losses.expected} (${(score.lossRate * 100).toFixed(0)}%, min ${(input.minLossRate * 100).toFixed(0)}%)` +
      (score.noData ? `, ${score.noData} without a verdict` : '');
    return {
      passed,
      tieRate: score.tieRate,
      lossRate: score.lossRate,
      items: items.length,
      identity: input.judge.identity,
      templateHash: TEMPLATE_HASH,
      summary,
    };
  }

  /** The eval set against the route's stable and candidate, directly, same cases and decoding. */
  async function runEvalFlips(input: {
    route: string;
    rolloutId: string;
    suitePath: string;
    maxTokens: number;
    stop?: string[];
    requestTimeoutMs: number;
  }): Promise<EvalFlips> {
    const cases = (() => {
      try {
        return parseEvalSuite(readFileSync(input.suitePath, 'utf8'), input.suitePath);
      } catch (error) {
        throw ApplicationFailure.nonRetryable(`quality.evalSet.suite: ${(error as Error).message}`, FailureType.EVAL_SUITE_INVALID);
      }
    })();
    const route = await deps.gateway.getRoute(input.route);
    if (!route?.candidate) throw ApplicationFailure.nonRetryable(`route "${input.route}" has no candidate to evaluate`, FailureType.GATEWAY_REJECTED);
    const ask = async (upstream: Upstream, prompt: string): Promise<{ answer: string | null; error?: string }> => {
      try {
        return {
          answer: await completeChat(upstream, input.route, prompt, { maxTokens: input.maxTokens, stop: input.stop, timeoutMs: input.requestTimeoutMs }),
        };
      } catch (error) {
        return { answer: null, error: (error as Error).message };
      }
    };
    const flips: EvalFlips = { cases: 0, stableCorrect: 0, candidateCorrect: 0, rightToWrong: 0, wrongToRight: 0, errors: 0, at: Date.now(), runs: 1 };
    const log: unknown[] = [];
    const ctx = Context.current();
    for (const evalCase of cases) {
      ctx.heartbeat({ done: flips.cases, of: cases.length });
      // The rollout ended and cancelled it (delivered with a heartbeat): stop asking the variants.
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('the rollout ended before the eval set finished');
      // Different servers: both variants answer at once.
      const [stable, candidate] = await Promise.all([toStable(() => ask(route.stable, evalCase.prompt)), ask(route.candidate, evalCase.prompt)]);
      const stableRight = stable.answer !== null && scoreAnswer(evalCase, stable.answer);
      const candidateRight = candidate.answer !== null && scoreAnswer(evalCase, candidate.answer);
      flips.cases += 1;
      if (stableRight) flips.stableCorrect += 1;
      if (candidateRight) flips.candidateCorrect += 1;
      if (stableRight && !candidateRight) flips.rightToWrong += 1;
      if (!stableRight && candidateRight) flips.wrongToRight += 1;
      if (stable.answer === null || candidate.answer === null) flips.errors += 1;
      log.push({ id: evalCase.id, prompt: evalCase.prompt, expected: evalCase.expected, stable, candidate, stableRight, candidateRight });
    }
    writeFileSync(join(rolloutDir(input.rolloutId), `eval-${flips.at}.json`), JSON.stringify(log, null, 1));
    return flips;
  }

  /** A route's noise floor as earlier rollouts left it; null when none was recorded. */
  async function readRouteFloor(input: { route: string }): Promise<PairTotals | null> {
    const file = floorFile(deps.dataDir, input.route);
    if (!existsSync(file)) return null;
    const record = JSON.parse(readFileSync(file, 'utf8')) as { floor?: PairTotals };
    return record.floor ?? null;
  }

  /** Keeps a rollout's floor (the route's earlier one plus its own A/A pairs) for the next rollout. */
  async function recordRouteFloor(input: { route: string; rolloutId: string; floor: PairTotals }): Promise<void> {
    mkdirSync(join(deps.dataDir, 'floors'), { recursive: true });
    replaceJsonFile(floorFile(deps.dataDir, input.route), {
      route: input.route,
      rolloutId: input.rolloutId,
      at: new Date().toISOString(),
      floor: boundedFloor(input.floor),
    });
  }

  return { scorePairs, auditJudge, runEvalFlips, readRouteFloor, recordRouteFloor };
}

export type QualityActivities = ReturnType<typeof createQualityActivities>;

const floorFile = (dataDir: string, route: string): string => join(dataDir, 'floors', `${encodeURIComponent(route).replace(/^\./, '%2E')}.json`);

/** A floor kept as the most recent evidence: past this many pairs, older counts are scaled down. */
const FLOOR_PAIRS_KEPT = 2_000;

export function boundedFloor(floor: PairTotals): PairTotals {
  if (floor.pairs <= FLOOR_PAIRS_KEPT) return floor;
  const f = FLOOR_PAIRS_KEPT / floor.pairs;
  const scale = (v: number): number => Math.round(v * f);
  const l = floor.likelihood ?? emptyLikelihood();
  return {
    pairs: scale(floor.pairs),
    worse: scale(floor.worse),
    better: scale(floor.better),
    equivalent: scale(floor.equivalent),
    safety: {
      answers: scale(floor.safety.answers),
      candidateFailures: scale(floor.safety.candidateFailures),
      stableFailures: scale(floor.safety.stableFailures),
      worse: scale(floor.safety.worse),
      better: scale(floor.safety.better),
    },
    judge: {
      judged: scale(floor.judge.judged),
      worse: scale(floor.judge.worse),
      better: scale(floor.judge.better),
      ties: scale(floor.judge.ties),
      skipped: scale(floor.judge.skipped),
      failed: scale(floor.judge.failed),
    },
    likelihood: { scored: scale(l.scored), worse: scale(l.worse), failed: scale(l.failed), deltaSum: l.deltaSum * f, lastError: l.lastError },
  };
}

function recordOf(pair: ShadowPair, scores: PairScores, judge: ScoreRecord['judge']): ScoreRecord {
  const { stable, candidate, ...rest } = scores;
  return {
    pairId: pair.pairId,
    time: pair.time,
    direction: pair.direction,
    scores: { ...rest, stable: { safety: stable.safety }, candidate: { safety: candidate.safety } },
    judge,
    prompt: pair.prompt,
    stableAnswer: pair.stable.answer,
    candidateAnswer: pair.candidate.answer,
  };
}

/** A batch's records so far; a line cut off by a crash is ended, and skipped. */
function readBatch(file: string): Map<string, ScoreRecord> {
  if (!existsSync(file)) return new Map();
  const text = readFileSync(file, 'utf8');
  if (text !== '' && !text.endsWith('\n')) appendFileSync(file, '\n');
  const records = new Map<string, ScoreRecord>();
  for (const line of text.split('\n')) {
    try {
      if (line) {
        const record = JSON.parse(line) as ScoreRecord;
        records.set(record.pairId, record);
      }
    } catch {
      // cut off mid-write
    }
  }
  return records;
}

function readExamples(file: string): { prompt: string; answer: string }[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { prompt: string; answer: string });
  } catch (error) {
    throw ApplicationFailure.nonRetryable(`quality.judge.audit.examples: ${file}: ${(error as Error).message}`, FailureType.INVALID_SPEC);
  }
}
