// A fixed-bucket latency histogram that is plain JSON, so the gateway can ship it, the workflow can
// keep running totals of it in its state across continue-as-new, and percentiles stay mergeable.
// Buckets grow by 10% from 1 ms to ~5 min: a percentile is off by at most one bucket width (10%).

const GROWTH = 1.1;
const FIRST_BOUND_MS = 1;
export const BUCKET_COUNT = 133; // 1.1^132 ≈ 290,000 ms

export const BUCKET_UPPER_BOUNDS_MS: readonly number[] = Array.from({ length: BUCKET_COUNT }, (_, i) => FIRST_BOUND_MS * GROWTH ** i);

/** Sparse counts: bucket index → count. Sparse keeps the JSON small for narrow latency ranges. */
export interface Histogram {
  counts: Record<string, number>;
  total: number;
  sumMs: number;
}

export function emptyHistogram(): Histogram {
  return { counts: {}, total: 0, sumMs: 0 };
}

export function bucketIndex(valueMs: number): number {
  if (valueMs <= FIRST_BOUND_MS) return 0;
  const index = Math.ceil(Math.log(valueMs / FIRST_BOUND_MS) / Math.log(GROWTH));
  return Math.min(index, BUCKET_COUNT - 1);
}

export function record(histogram: Histogram, valueMs: number): void {
  const key = String(bucketIndex(valueMs));
  histogram.counts[key] = (histogram.counts[key] ?? 0) + 1;
  histogram.total += 1;
  histogram.sumMs += valueMs;
}

export function merge(a: Histogram, b: Histogram): Histogram {
  const counts: Record<string, number> = { ...a.counts };
  for (const [key, count] of Object.entries(b.counts)) counts[key] = (counts[key] ?? 0) + count;
  return { counts, total: a.total + b.total, sumMs: a.sumMs + b.sumMs };
}

/** The upper bound of the bucket holding quantile q (0..1); undefined for an empty histogram. */
export function quantile(histogram: Histogram, q: number): number | undefined {
  if (histogram.total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * histogram.total));
  const indices = Object.keys(histogram.counts)
    .map(Number)
    .sort((x, y) => x - y);
  let seen = 0;
  for (const index of indices) {
    seen += histogram.counts[String(index)] ?? 0;
    if (seen >= rank) return BUCKET_UPPER_BOUNDS_MS[index];
  }
  return BUCKET_UPPER_BOUNDS_MS[indices[indices.length - 1] ?? 0];
}
