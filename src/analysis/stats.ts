// Per-variant traffic statistics as plain JSON: what the gateway reports for a time window and what
// the workflow accumulates across analyses. Pure, so workflows, activities and the gateway share it.
import { emptyHistogram, merge as mergeHistogram, quantile, type Histogram } from './histogram';

export interface VariantStats {
  requests: number;
  errors: number;
  latency: Histogram;
  // Optional: windows read before the gateway counted them (and state carried over from then) lack them.
  /** prompt tokens of successful answers */
  inputTokens?: number;
  /** completion tokens of successful answers */
  outputTokens?: number;
  /** time to the first streamed chunk of successful streamed answers */
  ttft?: Histogram;
}

/** Traffic of one route over [fromMs, toMs): live stable and candidate traffic, and mirrored requests. */
export interface TrafficWindow {
  fromMs: number;
  toMs: number;
  stable: VariantStats;
  candidate: VariantStats;
  /** the candidate's answers to requests mirrored during the shadow phase */
  shadow: VariantStats;
  /** shadow pairs recorded in the window */
  pairs: number;
  /** mirrors dropped because the candidate was too slow to keep up */
  shadowDropped: number;
}

export function emptyVariantStats(): VariantStats {
  return { requests: 0, errors: 0, latency: emptyHistogram(), inputTokens: 0, outputTokens: 0, ttft: emptyHistogram() };
}

export function emptyWindow(fromMs: number, toMs: number): TrafficWindow {
  return {
    fromMs,
    toMs,
    stable: emptyVariantStats(),
    candidate: emptyVariantStats(),
    shadow: emptyVariantStats(),
    pairs: 0,
    shadowDropped: 0,
  };
}

export function mergeVariant(a: VariantStats, b: VariantStats): VariantStats {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    latency: mergeHistogram(a.latency, b.latency),
    inputTokens: (a.inputTokens ?? 0) + (b.inputTokens ?? 0),
    outputTokens: (a.outputTokens ?? 0) + (b.outputTokens ?? 0),
    ttft: mergeHistogram(a.ttft ?? emptyHistogram(), b.ttft ?? emptyHistogram()),
  };
}

export function mergeWindows(a: TrafficWindow, b: TrafficWindow): TrafficWindow {
  return {
    fromMs: Math.min(a.fromMs, b.fromMs),
    toMs: Math.max(a.toMs, b.toMs),
    stable: mergeVariant(a.stable, b.stable),
    candidate: mergeVariant(a.candidate, b.candidate),
    shadow: mergeVariant(a.shadow, b.shadow),
    pairs: a.pairs + b.pairs,
    shadowDropped: a.shadowDropped + b.shadowDropped,
  };
}

export function errorRate(stats: VariantStats): number | undefined {
  return stats.requests === 0 ? undefined : stats.errors / stats.requests;
}

export function p95(stats: VariantStats): number | undefined {
  return quantile(stats.latency, 0.95);
}

/**
 * One-sided two-proportion z-test: the p-value for "the candidate's error rate is higher than the
 * stable's". Small p means the candidate is significantly worse.
 */
export function errorRateWorsePValue(stable: VariantStats, candidate: VariantStats): number | undefined {
  if (stable.requests === 0 || candidate.requests === 0) return undefined;
  const p1 = candidate.errors / candidate.requests;
  const p0 = stable.errors / stable.requests;
  const pooled = (candidate.errors + stable.errors) / (candidate.requests + stable.requests);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / candidate.requests + 1 / stable.requests));
  if (se === 0) return p1 > p0 ? 0 : 1;
  return 1 - normalCdf((p1 - p0) / se);
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, error < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
