// Rebuilds one route's traffic window (requests, errors, latency, time to first token, tokens) from
// two Prometheus readings of the gateway's cumulative figures, at the window's start and at its end.
// Pure: the provider does the HTTP.
// Each series' increase is end − start; a series whose end is below its start was reset (the
// gateway restarted), and then its end value is the increase. Histograms are judged as a whole, so
// all of a histogram's buckets take the same side of that choice.
import { BUCKET_COUNT, emptyHistogram } from './histogram';
import { emptyWindow, type TrafficWindow } from './stats';

export interface PromSample {
  /** the series' labels, __name__ included */
  metric: Record<string, string>;
  value: number;
}

export const PROM_METRICS = {
  latency: 'gantry_gateway_analysis_latency_seconds',
  ttft: 'gantry_gateway_analysis_ttft_seconds',
  tokens: 'gantry_gateway_analysis_tokens_total',
  errors: 'gantry_gateway_analysis_errors_total',
  pairs: 'gantry_gateway_shadow_pairs_total',
  shadowRequests: 'gantry_gateway_shadow_requests_total',
} as const;

const SERIES = ['stable', 'candidate', 'shadow'] as const;
type Series = (typeof SERIES)[number];

function keyOf(metric: Record<string, string>, without: string[] = []): string {
  return JSON.stringify(
    Object.entries(metric)
      .filter(([name]) => !without.includes(name))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function isSeries(value: string | undefined): value is Series {
  return (SERIES as readonly string[]).includes(value ?? '');
}

/** The analysis bucket whose upper bound (in seconds) an `le` label names; +Inf is the last one. */
export function bucketOfLe(le: string): number {
  if (le === '+Inf') return BUCKET_COUNT - 1;
  const index = Math.round(Math.log(Number(le) * 1000) / Math.log(1.1));
  return Math.min(Math.max(index, 0), BUCKET_COUNT - 1);
}

/** The window's histograms, by the metric they are read from. */
const HISTOGRAMS = { [PROM_METRICS.latency]: 'latency', [PROM_METRICS.ttft]: 'ttft' } as const;
type HistogramField = (typeof HISTOGRAMS)[keyof typeof HISTOGRAMS];

function histogramMetric(name: string | undefined): { metric: keyof typeof HISTOGRAMS; part: 'bucket' | 'sum' } | undefined {
  const match = /^(.*)_(bucket|sum)$/.exec(name ?? '');
  const metric = match?.[1];
  return metric !== undefined && metric in HISTOGRAMS
    ? { metric: metric as keyof typeof HISTOGRAMS, part: match?.[2] === 'sum' ? 'sum' : 'bucket' }
    : undefined;
}

interface HistogramSeries {
  series: Series;
  field: HistogramField;
  start: Map<string, number>;
  end: Map<string, number>;
  sumStart: number;
  sumEnd: number;
}

export function windowFromSamples(start: readonly PromSample[], end: readonly PromSample[], fromMs: number, toMs: number): TrafficWindow {
  const window = emptyWindow(fromMs, toMs);
  const before = new Map(start.map((s) => [keyOf(s.metric), s.value]));
  const increase = (sample: PromSample): number => {
    const was = before.get(keyOf(sample.metric)) ?? 0;
    return sample.value >= was ? sample.value - was : sample.value;
  };

  const histograms = new Map<string, HistogramSeries>();
  const histogramOf = (metric: Record<string, string>, series: Series, field: HistogramField): HistogramSeries => {
    const key = `${field} ${keyOf(metric, ['__name__', 'le'])}`;
    let h = histograms.get(key);
    if (!h) {
      h = { series, field, start: new Map(), end: new Map(), sumStart: 0, sumEnd: 0 };
      histograms.set(key, h);
    }
    return h;
  };
  for (const [samples, side] of [
    [start, 'start'],
    [end, 'end'],
  ] as const) {
    for (const sample of samples) {
      const variant = sample.metric.variant;
      if (!isSeries(variant)) continue;
      const of = histogramMetric(sample.metric.__name__);
      if (!of) continue;
      const h = histogramOf(sample.metric, variant, HISTOGRAMS[of.metric]);
      if (of.part === 'bucket' && sample.metric.le !== undefined) h[side].set(sample.metric.le, sample.value);
      if (of.part === 'sum') h[side === 'start' ? 'sumStart' : 'sumEnd'] = sample.value;
    }
  }

  for (const sample of end) {
    const name = sample.metric.__name__;
    const variant = sample.metric.variant;
    if (name === PROM_METRICS.errors && isSeries(variant)) window[variant].errors += increase(sample);
    if (name === PROM_METRICS.tokens && isSeries(variant)) {
      const stats = window[variant];
      if (sample.metric.direction === 'input') stats.inputTokens = (stats.inputTokens ?? 0) + increase(sample);
      if (sample.metric.direction === 'output') stats.outputTokens = (stats.outputTokens ?? 0) + increase(sample);
    }
    if (name === PROM_METRICS.pairs && sample.metric.outcome === 'written') window.pairs += increase(sample);
    if (name === PROM_METRICS.shadowRequests && sample.metric.outcome === 'dropped') window.shadowDropped += increase(sample);
  }

  for (const h of histograms.values()) {
    const reset = (h.end.get('+Inf') ?? 0) < (h.start.get('+Inf') ?? 0);
    const cumulative = [...h.end.entries()]
      .map(([le, value]) => ({ le, value: reset ? value : value - (h.start.get(le) ?? 0) }))
      .sort((a, b) => (a.le === '+Inf' ? 1 : b.le === '+Inf' ? -1 : Number(a.le) - Number(b.le)));
    const histogram = (window[h.series][h.field] ??= emptyHistogram());
    let below = 0;
    for (const { le, value } of cumulative) {
      const count = value - below;
      below = value;
      if (count <= 0) continue;
      const key = String(bucketOfLe(le));
      histogram.counts[key] = (histogram.counts[key] ?? 0) + count;
      histogram.total += count;
    }
    histogram.sumMs += ((reset ? h.sumEnd : h.sumEnd - h.sumStart) || 0) * 1000;
  }
  for (const series of SERIES) window[series].requests = window[series].latency.total + window[series].errors;
  return window;
}

/** A series' raw samples, [epoch seconds, value], oldest first. */
export interface PromPoints {
  metric: Record<string, string>;
  points: [number, number][];
}

/**
 * The start readings of a window, with none taken from before `notBeforeMs` (the rollout began).
 * An instant query answers with the last sample of the 5 minutes before the window's start: when
 * Prometheus was not scraping as the rollout began, that sample holds the traffic of whatever went
 * before (an earlier rollout's pairs and candidate answers on the same route). Such a series starts
 * instead at its first sample inside the window (`within`): what the gateway counted between the
 * rollout's start and Prometheus's return is left out, never counted as this rollout's. A series with
 * no sample inside the window keeps its old reading, so its increase is 0.
 */
export function startNotBefore(start: readonly PromSample[], before: readonly PromPoints[], within: readonly PromPoints[], notBeforeMs: number): PromSample[] {
  const lastAt = new Map(before.map((s) => [keyOf(s.metric), s.points.at(-1)?.[0] ?? 0]));
  const firstInside = new Map(within.map((s) => [keyOf(s.metric), s.points[0]?.[1]]));
  return start.map((sample) => {
    const key = keyOf(sample.metric);
    const takenAt = lastAt.get(key);
    if (takenAt === undefined || takenAt * 1000 >= notBeforeMs) return sample;
    const first = firstInside.get(key);
    return first === undefined ? sample : { metric: sample.metric, value: first };
  });
}
