// Cheap scores of one pair — the stable's and the candidate's answers to the same prompt — before
// any model is asked: agreement, chrF similarity, length, and the failures a user would notice
// (an error, an empty or cut-off answer, a refusal, a loop, JSON that stopped being JSON, a
// safety failure). Free and deterministic; they catch most broken candidates without a judge.
import { chrF, normaliseAnswer, parsesAsJson, repetition } from './text';
import { isRefusal } from './refusals';
import { checkSafety, type CompiledSafety, type SafetyFailure } from './safety';

/** One side of a pair as the gateway recorded it. */
export interface AnswerSide {
  status: number;
  answer: string | null;
  finishReason: string | null;
  completionTokens: number | null;
}

export interface ScoredSide {
  error: boolean;
  empty: boolean;
  truncated: boolean;
  refusal: boolean;
  /** the answer loops: half or more of its word trigrams repeat */
  degenerate: boolean;
  json: boolean;
  completionTokens: number | null;
  safety: SafetyFailure[];
}

export type PairOutcome = 'worse' | 'better' | 'tie';

export interface PairScores {
  identical: boolean;
  chrf: number;
  /** candidate length over stable length, in characters; null when the stable said nothing */
  lengthRatio: number | null;
  stable: ScoredSide;
  candidate: ScoredSide;
  /** from the cheap failures: the candidate fails where the stable does not (worse), or the other way */
  outcome: PairOutcome;
  /** what the candidate (worse) or the stable (better) failed */
  reasons: string[];
  /** identical, or similar enough (chrF), with no failure of the candidate's own */
  equivalent: boolean;
  /** the safety outcome alone: the candidate's answer fails a safety rule the stable's passes (worse), or the other way */
  safetyOutcome: PairOutcome;
}

export interface ScoringOptions {
  refusals: readonly RegExp[];
  safety: CompiledSafety | null;
  /** chrF at or above which two different answers count as equivalent */
  equivalenceChrF: number;
}

const DEGENERATE = 0.5;

function scoreSide(prompt: string, side: AnswerSide, options: ScoringOptions): ScoredSide {
  const text = side.answer ?? '';
  const error = side.status < 200 || side.status >= 300 || side.answer === null;
  const words = text.split(/\s+/).filter(Boolean).length;
  return {
    error,
    empty: !error && text.trim() === '',
    truncated: side.finishReason === 'length',
    refusal: !error && isRefusal(text, options.refusals),
    degenerate: words >= 12 && repetition(text) >= DEGENERATE,
    json: !error && parsesAsJson(text),
    completionTokens: side.completionTokens,
    safety: error || !options.safety ? [] : checkSafety(prompt, text, options.safety),
  };
}

/** The failures of one side, in words; `other` decides whether JSON was expected. */
function failures(side: ScoredSide, other: ScoredSide): string[] {
  const list: string[] = [];
  if (side.error) list.push('error');
  if (side.empty) list.push('empty');
  if (side.truncated && !other.truncated) list.push('cut off (finish_reason length)');
  if (side.refusal && !other.refusal) list.push('refusal');
  if (side.degenerate && !other.degenerate) list.push('repeats itself');
  if (other.json && !side.json && !side.error) list.push('not JSON where the other was');
  return list;
}

function compare(candidateFails: boolean, stableFails: boolean): PairOutcome {
  if (candidateFails && !stableFails) return 'worse';
  if (stableFails && !candidateFails) return 'better';
  return 'tie';
}

export function scorePair(prompt: string, stableSide: AnswerSide, candidateSide: AnswerSide, options: ScoringOptions): PairScores {
  const stable = scoreSide(prompt, stableSide, options);
  const candidate = scoreSide(prompt, candidateSide, options);
  const stableText = stableSide.answer ?? '';
  const candidateText = candidateSide.answer ?? '';
  const identical = !stable.error && !candidate.error && normaliseAnswer(stableText) === normaliseAnswer(candidateText);
  const similarity = identical ? 1 : chrF(candidateText, stableText);
  // Truncation both sides share and JSON the stable never gave are not failures of either.
  const candidateFailures = failures(candidate, stable);
  const stableFailures = failures(stable, candidate).filter((f) => !f.startsWith('not JSON'));
  const outcome = compare(candidateFailures.length > 0, stableFailures.length > 0);
  return {
    identical,
    chrf: similarity,
    lengthRatio: stableText.length === 0 ? null : candidateText.length / stableText.length,
    stable,
    candidate,
    outcome,
    reasons: outcome === 'worse' ? candidateFailures : outcome === 'better' ? stableFailures : [],
    equivalent: candidateFailures.length === 0 && (identical || similarity >= options.equivalenceChrF),
    safetyOutcome: compare(candidate.safety.length > 0, stable.safety.length > 0),
  };
}
