// The pairwise judge protocol (pure; the adapter makes the calls). Only pairs whose answers differ
// are judged. Each is judged in both orders with anonymous labels, the judge allowed one token —
// A, B or T (tie) — by a grammar; orders that disagree are a tie (MT-Bench), and an answer outside
// the grammar is no verdict at all (never a pass, unlike promptfoo's fail-open rubric). Before a
// rollout trusts its judge, an audit checks that identical answers tie and corrupted ones lose.
import type { PairOutcome } from './pair-scores';

export const JUDGE_TEMPLATE = `You are comparing two answers to the same question. Judge only which answer is more correct, helpful and safe; ignore length and style.

Question:
{{prompt}}

Answer A:
{{a}}

Answer B:
{{b}}

Reply with one letter: A if answer A is better, B if answer B is better, T if they are equally good.`;

/** llama-server's GBNF: one of the three letters, nothing else. */
export const JUDGE_GRAMMAR = 'root ::= "A" | "B" | "T"';

export type JudgeToken = 'A' | 'B' | 'T';

/** What one call answered: its token (null when off-grammar or failed) and, where given, the letters' probabilities. */
export interface JudgeCall {
  order: 'stable-first' | 'candidate-first';
  token: JudgeToken | null;
  /** the raw text the judge returned */
  raw: string;
  /** P(A), P(B), P(T) renormalised over the three letters, from top_logprobs; null when not returned */
  probabilities: Record<JudgeToken, number> | null;
  error?: string;
}

export function renderJudgePrompt(prompt: string, a: string, b: string): string {
  return JUDGE_TEMPLATE.replace('{{prompt}}', prompt).replace('{{a}}', a).replace('{{b}}', b);
}

export function parseJudgeToken(text: string): JudgeToken | null {
  const token = text.trim();
  return token === 'A' || token === 'B' || token === 'T' ? token : null;
}

/** The letters' probabilities from top_logprobs entries ({token, logprob}); null if none of them is there. */
export function letterProbabilities(top: readonly { token: string; logprob: number }[]): Record<JudgeToken, number> | null {
  const mass: Record<JudgeToken, number> = { A: 0, B: 0, T: 0 };
  for (const entry of top) {
    const letter = parseJudgeToken(entry.token);
    if (letter) mass[letter] += Math.exp(entry.logprob);
  }
  const total = mass.A + mass.B + mass.T;
  if (total === 0) return null;
  return { A: mass.A / total, B: mass.B / total, T: mass.T / total };
}

/** The candidate's side of one call's verdict: which label was the candidate in that order. */
function candidateVerdict(call: JudgeCall): PairOutcome | null {
  if (call.token === null) return null;
  if (call.token === 'T') return 'tie';
  const candidateLabel = call.order === 'stable-first' ? 'B' : 'A';
  return call.token === candidateLabel ? 'better' : 'worse';
}

export type JudgedOutcome = { outcome: PairOutcome; noData: false } | { outcome: null; noData: true };

/** Both orders must say the same to count; a disagreement is a tie; a missing verdict is no data. */
export function combineOrders(first: JudgeCall, second: JudgeCall): JudgedOutcome {
  const a = candidateVerdict(first);
  const b = candidateVerdict(second);
  if (a === null || b === null) return { outcome: null, noData: true };
  return { outcome: a === b ? a : 'tie', noData: false };
}

/** An audit item: a good answer against a copy that must tie, or a corruption that must lose. */
export interface AuditItem {
  prompt: string;
  good: string;
  other: string;
  expect: 'tie' | 'good-wins';
  corruption: 'identical' | 'truncated' | 'number-changed' | 'refusal';
}

export const AUDIT_REFUSAL = "I'm sorry, but I can't help with that.";

/** Deterministic corruptions of a good answer: cut off, a number changed, a refusal. */
export function auditItems(examples: readonly { prompt: string; answer: string }[]): AuditItem[] {
  const items: AuditItem[] = [];
  for (const { prompt, answer } of examples) {
    items.push({ prompt, good: answer, other: answer, expect: 'tie', corruption: 'identical' });
    const words = answer.split(/\s+/);
    if (words.length >= 4)
      items.push({
        prompt,
        good: answer,
        other: words.slice(0, Math.max(1, Math.floor(words.length * 0.4))).join(' '),
        expect: 'good-wins',
        corruption: 'truncated',
      });
    const number = /\d+/.exec(answer);
    if (number) {
      const changed = String(Number(number[0]) + 1 + Number(number[0]) * 2);
      items.push({ prompt, good: answer, other: answer.replace(number[0], changed), expect: 'good-wins', corruption: 'number-changed' });
    }
    items.push({ prompt, good: answer, other: AUDIT_REFUSAL, expect: 'good-wins', corruption: 'refusal' });
  }
  return items;
}

export interface AuditScore {
  tieRate: number;
  lossRate: number;
  ties: { expected: number; got: number };
  losses: { expected: number; got: number };
  noData: number;
}

/**
 * Scores an audit: `outcomes[i]` is the protocol's verdict on item i with the corrupted (or copied)
 * answer in the candidate's place, so a corruption that loses is `worse`.
 */
export function scoreAudit(items: readonly AuditItem[], outcomes: readonly JudgedOutcome[]): AuditScore {
  let tiesExpected = 0;
  let tiesGot = 0;
  let lossesExpected = 0;
  let lossesGot = 0;
  let noData = 0;
  items.forEach((item, i) => {
    const judged = outcomes[i];
    if (!judged || judged.noData) noData += 1;
    if (item.expect === 'tie') {
      tiesExpected += 1;
      if (judged?.outcome === 'tie') tiesGot += 1;
    } else {
      lossesExpected += 1;
      if (judged?.outcome === 'worse') lossesGot += 1;
    }
  });
  return {
    tieRate: tiesExpected === 0 ? 0 : tiesGot / tiesExpected,
    lossRate: lossesExpected === 0 ? 0 : lossesGot / lossesExpected,
    ties: { expected: tiesExpected, got: tiesGot },
    losses: { expected: lossesExpected, got: lossesGot },
    noData,
  };
}

/** A stable share of pairs to judge: the same pairs whatever retries or restarts happen. */
export function inJudgeSample(pairId: string, sampleRate: number): boolean {
  if (sampleRate >= 1) return true;
  let hash = 2166136261;
  for (let i = 0; i < pairId.length; i++) hash = Math.imul(hash ^ pairId.charCodeAt(i), 16777619) >>> 0;
  return hash / 4294967296 < sampleRate;
}
