// The sufficient statistics of answer quality: counts and sums only, so they fit in workflow state,
// survive continue-as-new, and every verdict can be recomputed from them.

/** What the scored pairs of one source (the shadow phase, the canary's reverse shadow) add up to. */
export interface PairTotals {
  pairs: number;
  /** cheap checks: the candidate failed where the stable did not (worse), or the other way (better) */
  worse: number;
  better: number;
  /** answers equivalent to the stable's or better */
  equivalent: number;
  safety: { answers: number; candidateFailures: number; stableFailures: number; worse: number; better: number };
  /** the judge's verdicts on differing pairs, both orders agreeing; a disagreement is a tie */
  judge: { judged: number; worse: number; better: number; ties: number; skipped: number; failed: number };
  /**
   * The likelihood judge: pairs scored (identical answers count, as no worse), pairs whose candidate
   * answer the reference found much less likely (worse), pairs it could not score, and the sum of
   * the per-pair differences (the lower of the two: after the question, and what the question adds;
   * for the mean). Absent in states written before it existed.
   */
  likelihood?: LikelihoodTotals;
}

export interface LikelihoodTotals {
  scored: number;
  worse: number;
  failed: number;
  deltaSum: number;
  /** why the last pair could not be scored, for the metric's summary */
  lastError: string | null;
}

export const emptyLikelihood = (): LikelihoodTotals => ({ scored: 0, worse: 0, failed: 0, deltaSum: 0, lastError: null });

function addLikelihood(a: LikelihoodTotals | undefined, b: LikelihoodTotals | undefined): LikelihoodTotals {
  const x = a ?? emptyLikelihood();
  const y = b ?? emptyLikelihood();
  return {
    scored: x.scored + y.scored,
    worse: x.worse + y.worse,
    failed: x.failed + y.failed,
    deltaSum: x.deltaSum + y.deltaSum,
    lastError: y.lastError ?? x.lastError,
  };
}

export function emptyPairTotals(): PairTotals {
  return {
    pairs: 0,
    worse: 0,
    better: 0,
    equivalent: 0,
    safety: { answers: 0, candidateFailures: 0, stableFailures: 0, worse: 0, better: 0 },
    judge: { judged: 0, worse: 0, better: 0, ties: 0, skipped: 0, failed: 0 },
    likelihood: emptyLikelihood(),
  };
}

export function addPairTotals(a: PairTotals, b: PairTotals): PairTotals {
  return {
    pairs: a.pairs + b.pairs,
    worse: a.worse + b.worse,
    better: a.better + b.better,
    equivalent: a.equivalent + b.equivalent,
    safety: {
      answers: a.safety.answers + b.safety.answers,
      candidateFailures: a.safety.candidateFailures + b.safety.candidateFailures,
      stableFailures: a.safety.stableFailures + b.safety.stableFailures,
      worse: a.safety.worse + b.safety.worse,
      better: a.safety.better + b.safety.better,
    },
    judge: {
      judged: a.judge.judged + b.judge.judged,
      worse: a.judge.worse + b.judge.worse,
      better: a.judge.better + b.judge.better,
      ties: a.judge.ties + b.judge.ties,
      skipped: a.judge.skipped + b.judge.skipped,
      failed: a.judge.failed + b.judge.failed,
    },
    likelihood: addLikelihood(a.likelihood, b.likelihood),
  };
}

/** The latest eval-set run against both variants: same cases, same decoding. */
export interface EvalFlips {
  cases: number;
  stableCorrect: number;
  candidateCorrect: number;
  /** the stable right, the candidate wrong */
  rightToWrong: number;
  wrongToRight: number;
  /** cases a variant could not answer (counted wrong) */
  errors: number;
  at: number;
  runs: number;
}

export interface RatingSums {
  n: number;
  sum: number;
  sumSquares: number;
}

export interface RatingTotals {
  candidate: RatingSums;
  stable: RatingSums;
}

export const emptyRatings = (): RatingTotals => ({ candidate: { n: 0, sum: 0, sumSquares: 0 }, stable: { n: 0, sum: 0, sumSquares: 0 } });

/** Whether the judge may be trusted in this rollout, and who it is. */
export interface JudgeAudit {
  passed: boolean;
  /** identical answers judged a tie */
  tieRate: number;
  /** corrupted answers judged worse than the good ones */
  lossRate: number;
  items: number;
  /** endpoint and model, or the served file's sha256 */
  identity: string;
  templateHash: string;
  summary: string;
}
