// The analysis's own traffic figures in Prometheus's text format, so a Prometheus that scrapes the
// gateway can answer for a window exactly what the gateway's window statistics answer: errors,
// latency and time-to-first-token histograms of successful requests, and their tokens, per series
// (stable, candidate, shadow), in the analysis's buckets (10% apart), so percentiles read from
// Prometheus match the built-in ones.
// Cumulative since the gateway started; rendered at scrape time, so the hot path only counts.
import { BUCKET_COUNT, BUCKET_UPPER_BOUNDS_MS, emptyHistogram, record, type Histogram } from '../analysis/histogram';
import type { StatsSeries } from './stats-series';
import { labelValue } from '../prometheus-text';
import type { VariantStats } from '../analysis/stats';
import { addAnswer, type AnswerFigures } from '../analysis/answer-figures';

export const ANALYSIS_LATENCY_METRIC = 'gantry_gateway_analysis_latency_seconds';
export const ANALYSIS_ERRORS_METRIC = 'gantry_gateway_analysis_errors_total';
export const ANALYSIS_TTFT_METRIC = 'gantry_gateway_analysis_ttft_seconds';
export const ANALYSIS_TOKENS_METRIC = 'gantry_gateway_analysis_tokens_total';

/** The `le` label of each analysis bucket, in seconds; the last bucket also holds anything slower. */
export const ANALYSIS_BUCKET_LE: readonly string[] = BUCKET_UPPER_BOUNDS_MS.map((ms) => String(ms / 1000));

type SeriesTotals = Required<Omit<VariantStats, 'requests'>>;

const SERIES: readonly StatsSeries[] = ['stable', 'candidate', 'shadow'];

export class AnalysisTotals {
  private readonly routes = new Map<string, Record<StatsSeries, SeriesTotals>>();

  /** `answer` counts for successful requests only, as in the window statistics. */
  record(route: string, series: StatsSeries, latencyMs: number, isError: boolean, answer?: AnswerFigures): void {
    let totals = this.routes.get(route);
    if (!totals) {
      totals = { stable: fresh(), candidate: fresh(), shadow: fresh() };
      this.routes.set(route, totals);
    }
    if (isError) totals[series].errors += 1;
    else {
      record(totals[series].latency, latencyMs);
      if (answer) addAnswer(totals[series], answer);
    }
  }

  /** Every metric for every route seen, every series, every bucket: the `le` set never changes. */
  exposition(): string {
    const errors = [
      `# HELP ${ANALYSIS_ERRORS_METRIC} Failed requests as the analysis counts them, by route and series (stable, candidate, shadow)`,
      `# TYPE ${ANALYSIS_ERRORS_METRIC} counter`,
    ];
    const latency = [
      `# HELP ${ANALYSIS_LATENCY_METRIC} Latency of successful requests as the analysis judges them, by route and series, in the analysis's buckets (10% apart)`,
      `# TYPE ${ANALYSIS_LATENCY_METRIC} histogram`,
    ];
    const ttft = [
      `# HELP ${ANALYSIS_TTFT_METRIC} Time to the first streamed chunk of successful streamed requests, by route and series, in the analysis's buckets`,
      `# TYPE ${ANALYSIS_TTFT_METRIC} histogram`,
    ];
    const tokens = [
      `# HELP ${ANALYSIS_TOKENS_METRIC} Tokens of successful answers as the analysis counts them, by route, series and direction (input, output)`,
      `# TYPE ${ANALYSIS_TOKENS_METRIC} counter`,
    ];
    for (const [route, totals] of this.routes) {
      for (const series of SERIES) {
        const labels = `route=${labelValue(route)},variant="${series}"`;
        const figures = totals[series];
        errors.push(`${ANALYSIS_ERRORS_METRIC}{${labels}} ${figures.errors}`);
        latency.push(...histogramLines(ANALYSIS_LATENCY_METRIC, labels, figures.latency));
        ttft.push(...histogramLines(ANALYSIS_TTFT_METRIC, labels, figures.ttft));
        tokens.push(`${ANALYSIS_TOKENS_METRIC}{${labels},direction="input"} ${figures.inputTokens}`);
        tokens.push(`${ANALYSIS_TOKENS_METRIC}{${labels},direction="output"} ${figures.outputTokens}`);
      }
    }
    return `${[...errors, ...latency, ...ttft, ...tokens].join('\n')}\n`;
  }
}

function histogramLines(metric: string, labels: string, histogram: Histogram): string[] {
  const lines: string[] = [];
  let cumulative = 0;
  for (let i = 0; i < BUCKET_COUNT; i++) {
    cumulative += histogram.counts[String(i)] ?? 0;
    lines.push(`${metric}_bucket{${labels},le="${ANALYSIS_BUCKET_LE[i]}"} ${cumulative}`);
  }
  lines.push(`${metric}_bucket{${labels},le="+Inf"} ${histogram.total}`);
  lines.push(`${metric}_sum{${labels}} ${histogram.sumMs / 1000}`);
  lines.push(`${metric}_count{${labels}} ${histogram.total}`);
  return lines;
}

function fresh(): SeriesTotals {
  return { errors: 0, latency: emptyHistogram(), inputTokens: 0, outputTokens: 0, ttft: emptyHistogram() };
}
