// The analysis's own traffic figures in Prometheus's text format, so a Prometheus that scrapes the
// gateway can answer for a window exactly what the gateway's window statistics answer: errors and
// a latency histogram of successful requests per series (stable, candidate, shadow), in the
// analysis's buckets (10% apart), so percentiles read from Prometheus match the built-in ones.
// Cumulative since the gateway started; rendered at scrape time, so the hot path only counts.
import { BUCKET_COUNT, BUCKET_UPPER_BOUNDS_MS, emptyHistogram, record, type Histogram } from '../analysis/histogram';
import type { StatsSeries } from './window-stats';

export const ANALYSIS_LATENCY_METRIC = 'gantry_gateway_analysis_latency_seconds';
export const ANALYSIS_ERRORS_METRIC = 'gantry_gateway_analysis_errors_total';

/** The `le` label of each analysis bucket, in seconds; the last bucket also holds anything slower. */
export const ANALYSIS_BUCKET_LE: readonly string[] = BUCKET_UPPER_BOUNDS_MS.map((ms) => String(ms / 1000));

interface SeriesTotals {
  errors: number;
  latency: Histogram;
}

const SERIES: readonly StatsSeries[] = ['stable', 'candidate', 'shadow'];

export class AnalysisTotals {
  private readonly routes = new Map<string, Record<StatsSeries, SeriesTotals>>();

  record(route: string, series: StatsSeries, latencyMs: number, isError: boolean): void {
    let totals = this.routes.get(route);
    if (!totals) {
      totals = { stable: fresh(), candidate: fresh(), shadow: fresh() };
      this.routes.set(route, totals);
    }
    if (isError) totals[series].errors += 1;
    else record(totals[series].latency, latencyMs);
  }

  /** Both metrics for every route seen, every series, every bucket: the `le` set never changes. */
  exposition(): string {
    const errors = [
      `# HELP ${ANALYSIS_ERRORS_METRIC} Failed requests as the analysis counts them, by route and series (stable, candidate, shadow)`,
      `# TYPE ${ANALYSIS_ERRORS_METRIC} counter`,
    ];
    const latency = [
      `# HELP ${ANALYSIS_LATENCY_METRIC} Latency of successful requests as the analysis judges them, by route and series, in the analysis's buckets (10% apart)`,
      `# TYPE ${ANALYSIS_LATENCY_METRIC} histogram`,
    ];
    for (const [route, totals] of this.routes) {
      for (const series of SERIES) {
        const labels = `route=${labelValue(route)},variant="${series}"`;
        const { errors: failed, latency: histogram } = totals[series];
        errors.push(`${ANALYSIS_ERRORS_METRIC}{${labels}} ${failed}`);
        let cumulative = 0;
        for (let i = 0; i < BUCKET_COUNT; i++) {
          cumulative += histogram.counts[String(i)] ?? 0;
          latency.push(`${ANALYSIS_LATENCY_METRIC}_bucket{${labels},le="${ANALYSIS_BUCKET_LE[i]}"} ${cumulative}`);
        }
        latency.push(`${ANALYSIS_LATENCY_METRIC}_bucket{${labels},le="+Inf"} ${histogram.total}`);
        latency.push(`${ANALYSIS_LATENCY_METRIC}_sum{${labels}} ${histogram.sumMs / 1000}`);
        latency.push(`${ANALYSIS_LATENCY_METRIC}_count{${labels}} ${histogram.total}`);
      }
    }
    return `${errors.join('\n')}\n${latency.join('\n')}\n`;
  }
}

function fresh(): SeriesTotals {
  return { errors: 0, latency: emptyHistogram() };
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function labelValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
