// A paired metric judged against the route's noise floor: how the stable's own answers, asked a
// second time (the A/A arm), compare with its first. "The candidate is 75% equivalent to the
// stable" means little alone — on a sampled route the stable is only 60% equivalent to itself, on a
// greedy one 100% — so the candidate's share is judged as non-inferiority against the floor's, with
// a margin. Both shares carry a confidence sequence at alpha/2, so both hold at once with
// probability at least 1 − alpha at every look: the comparison stays anytime-valid, at the price of
// some power (bench/quality.ts measures both).
import { confidenceSequence } from '../sequential';

export interface Share {
  k: number;
  n: number;
}

export interface FloorComparison {
  /** beyond: significantly worse than the floor by more than the margin; within: significantly not; unsure: neither yet */
  status: 'beyond' | 'within' | 'unsure';
  candidate: [number, number];
  floor: [number, number];
}

/**
 * `better`: which way is good for this share — `higher` (equivalent answers) or `lower` (answers
 * the likelihood judge finds worse).
 */
export function compareToFloor(candidate: Share, floor: Share, alpha: number, margin: number, better: 'higher' | 'lower'): FloorComparison {
  const c = confidenceSequence(candidate.k, candidate.n, alpha / 2);
  const f = confidenceSequence(floor.k, floor.n, alpha / 2);
  let status: FloorComparison['status'] = 'unsure';
  if (better === 'higher') {
    if (c[1] < f[0] - margin) status = 'beyond';
    else if (candidate.n > 0 && c[0] >= f[1] - margin) status = 'within';
  } else if (c[0] > f[1] + margin) status = 'beyond';
  else if (candidate.n > 0 && c[1] <= f[0] + margin) status = 'within';
  return { status, candidate: c, floor: f };
}
