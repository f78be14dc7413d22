// Per-second statistics per route, kept for a retention period, summed over any [from, to) window.
// This is what the embedded metric provider reads: exact non-overlapping windows for each analysis.
import { record } from '../analysis/histogram';
import { addAnswer, type AnswerFigures } from '../analysis/answer-figures';
import { emptyWindow, mergeWindows, type TrafficWindow, type VariantStats } from '../analysis/stats';
import { AnalysisTotals } from './analysis-exposition';
import type { StatsSeries } from './stats-series';

/** A route's traffic over a window, and the breaker's reason when it opened in that window. */
export interface WindowStats extends TrafficWindow {
  breakerOpen?: string | null;
}

export type { StatsSeries } from './stats-series';

export class WindowStatsStore {
  private readonly buckets = new Map<string, Map<number, WindowStats>>();
  /** the same figures, cumulative, for Prometheus to scrape */
  readonly totals = new AnalysisTotals();

  constructor(
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private bucket(route: string): WindowStats {
    const second = Math.floor(this.now() / 1000);
    let series = this.buckets.get(route);
    if (!series) {
      series = new Map();
      this.buckets.set(route, series);
    }
    let bucket = series.get(second);
    if (!bucket) {
      bucket = emptyWindow(second * 1000, second * 1000 + 1000);
      series.set(second, bucket);
      this.prune(series, second);
    }
    return bucket;
  }

  private prune(series: Map<number, WindowStats>, currentSecond: number): void {
    const oldest = currentSecond - Math.ceil(this.retentionMs / 1000);
    for (const second of series.keys()) {
      if (second >= oldest) break; // insertion order is time order
      series.delete(second);
    }
  }

  /** `answer` is given for successful answers only. */
  recordRequest(route: string, series: StatsSeries, latencyMs: number, isError: boolean, answer?: AnswerFigures): void {
    const stats: VariantStats = this.bucket(route)[series];
    stats.requests += 1;
    if (isError) stats.errors += 1;
    else {
      record(stats.latency, latencyMs);
      if (answer) addAnswer(stats, answer);
    }
    this.totals.record(route, series, latencyMs, isError, answer);
  }

  recordPair(route: string): void {
    this.bucket(route).pairs += 1;
  }

  recordBreakerOpen(route: string, reason: string): void {
    this.bucket(route).breakerOpen = reason;
  }

  recordShadowDrop(route: string): void {
    this.bucket(route).shadowDropped += 1;
  }

  window(route: string, fromMs: number, toMs: number): WindowStats {
    let total = emptyWindow(fromMs, toMs);
    let breakerOpen: string | null = null;
    for (const [second, bucket] of this.buckets.get(route) ?? []) {
      const start = second * 1000;
      if (start >= fromMs && start < toMs) {
        total = mergeWindows(total, bucket);
        breakerOpen = bucket.breakerOpen ?? breakerOpen;
      }
    }
    return { ...total, fromMs, toMs, breakerOpen };
  }
}
