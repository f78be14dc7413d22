// Mann-Whitney U with the Hodges-Lehmann shift and its confidence interval, on the latency
// histograms the rollout already keeps (Kayenta's canary classifier, for the evaluation). Each
// bucket stands for its values at the bucket's bound, so ties are many: the variance is
// tie-corrected and the test uses the normal approximation with a continuity correction.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { BUCKET_UPPER_BOUNDS_MS, type Histogram } from './histogram';

export interface ShiftEstimate {
  /** Hodges-Lehmann estimate of candidate minus stable, in ms */
  shiftMs: number;
  /** its confidence interval at the given level */
  interval: [number, number];
  /** two-sided p-value of "no shift" */
  pValue: number;
  /** mean(candidate) / mean(stable) */
  meanRatio: number;
  n: number;
  m: number;
}

interface Weighted {
  value: number;
  count: number;
}

const valuesOf = (h: Histogram): Weighted[] =>
  Object.entries(h.counts)
    .map(([index, count]) => ({ value: BUCKET_UPPER_BOUNDS_MS[Number(index)] ?? 0, count }))
    .filter((w) => w.count > 0)
    .sort((a, b) => a.value - b.value);

/** The weighted order statistic at 1-based rank `rank` of sorted (value, count) pairs. */
function atRank(sorted: readonly Weighted[], rank: number): number {
  let seen = 0;
  for (const item of sorted) {
    seen += item.count;
    if (seen >= rank) return item.value;
  }
  return sorted.at(-1)?.value ?? 0;
}

/** Compares candidate latencies with the stable's; undefined when either has no data. */
export function latencyShift(stable: Histogram, candidate: Histogram, confidence: number): ShiftEstimate | undefined {
  const x = valuesOf(candidate);
  const y = valuesOf(stable);
  const n = candidate.total;
  const m = stable.total;
  if (n === 0 || m === 0) return undefined;

  // U: the candidate value is above the stable one (ties count a half).
  let u = 0;
  for (const a of x) for (const b of y) u += a.count * b.count * (a.value > b.value ? 1 : a.value === b.value ? 0.5 : 0);
  const ties = new Map<number, number>();
  for (const w of [...x, ...y]) ties.set(w.value, (ties.get(w.value) ?? 0) + w.count);
  const total = n + m;
  const tieTerm = [...ties.values()].reduce((sum, t) => sum + (t * t * t - t), 0);
  const variance = ((n * m) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  const mean = (n * m) / 2;
  const pValue = variance <= 0 ? 1 : Math.min(1, 2 * (1 - normalCdf(Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance), 0, 1)));

  // Hodges-Lehmann: the median of all candidate-minus-stable differences; the interval from the
  // ranks the normal approximation to U gives (Lehmann / Moses).
  const differences: Weighted[] = [];
  for (const a of x) for (const b of y) differences.push({ value: a.value - b.value, count: a.count * b.count });
  differences.sort((p, q) => p.value - q.value);
  const pairs = n * m;
  const shiftMs = (atRank(differences, Math.floor((pairs + 1) / 2)) + atRank(differences, Math.ceil((pairs + 1) / 2))) / 2;
  const z = normalQuantile(1 - (1 - confidence) / 2, 0, 1);
  const k = Math.max(0, Math.floor(mean - z * Math.sqrt(Math.max(variance, 0))));
  const interval: [number, number] = [atRank(differences, Math.min(pairs, k + 1)), atRank(differences, Math.max(1, pairs - k))];
  const meanRatio = stable.sumMs === 0 ? 1 : candidate.sumMs / n / (stable.sumMs / m);
  return { shiftMs, interval, pValue, meanRatio, n, m };
}

export type ShiftClass = 'High' | 'Low' | 'Pass';

/**
 * Kayenta's rule: High when the interval's lower end clears tolerance × |shift| and the mean ratio
 * reaches allowedIncrease; Low the mirror case; anything else Pass.
 */
export function classifyShift(estimate: ShiftEstimate, tolerance: number, allowedIncrease: number): ShiftClass {
  const bound = tolerance * Math.abs(estimate.shiftMs);
  if (estimate.interval[0] > bound && estimate.meanRatio >= allowedIncrease) return 'High';
  if (estimate.interval[1] < -bound && estimate.meanRatio <= 1 / allowedIncrease) return 'Low';
  return 'Pass';
}
