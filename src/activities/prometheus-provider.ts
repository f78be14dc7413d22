// The Prometheus metric provider: the same named measurements as the gateway's own provider, read
// with PromQL from a Prometheus that scrapes the gateway. Two instant queries per window (its start
// and its end), so consecutive windows meet at the same samples and no request is counted twice
// or lost; a window ends at the last scrape before its end, and what came after goes to the next.
import { measurementsOfWindow, type Measurement } from '../analysis/measurements';
import { PROM_METRICS, startNotBefore, windowFromSamples, type PromPoints, type PromSample } from '../analysis/prometheus-window';
import type { MetricProvider } from './metric-provider';

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}
interface MatrixResult {
  metric: Record<string, string>;
  values: [number, string][];
}
export interface PromSeries {
  metric: Record<string, string>;
  points: [number, number][];
}

interface QueryResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown[] };
  errorType?: string;
  error?: string;
}

/** Prometheus answered, and said no: `status` 400 is a query that does not parse (the caller's fault). */
export class PrometheusRefusal extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A PromQL string literal. */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/** How far back an instant query looks for a series' last sample: Prometheus's default lookback delta. */
const LOOKBACK_MS = 5 * 60_000;

export class PrometheusProvider implements MetricProvider {
  constructor(
    private readonly url: string,
    /** the scrape job that reads the gateway */
    private readonly job: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async measure(route: string, fromMs: number, toMs: number, notBeforeMs?: number): Promise<Measurement[]> {
    await this.requireScraped(toMs);
    const names = [
      `${PROM_METRICS.latency}_bucket`,
      `${PROM_METRICS.latency}_sum`,
      `${PROM_METRICS.ttft}_bucket`,
      `${PROM_METRICS.ttft}_sum`,
      PROM_METRICS.tokens,
      PROM_METRICS.errors,
      PROM_METRICS.pairs,
      PROM_METRICS.shadowRequests,
    ];
    const selector = `{__name__=~${promString(names.join('|'))},job=${promString(this.job)},route=${promString(route)}}`;
    const [start, end] = await Promise.all([this.instant(selector, fromMs), this.instant(selector, toMs)]);
    const fromRollout = notBeforeMs === undefined ? start : await this.startFrom(selector, start, fromMs, toMs, notBeforeMs);
    return measurementsOfWindow(windowFromSamples(fromRollout, end, fromMs, toMs));
  }

  /**
   * Start readings none of which is older than `notBeforeMs` (see startNotBefore). Only the windows
   * that begin within Prometheus's 5-minute lookback of it can meet one, so only they ask.
   */
  private async startFrom(selector: string, start: PromSample[], fromMs: number, toMs: number, notBeforeMs: number): Promise<PromSample[]> {
    if (fromMs - LOOKBACK_MS >= notBeforeMs) return start;
    const before = await this.samples(selector, fromMs, LOOKBACK_MS);
    if (before.every((s) => (s.points.at(-1)?.[0] ?? 0) * 1000 >= notBeforeMs)) return start;
    return startNotBefore(start, before, await this.samples(selector, toMs, toMs - fromMs), notBeforeMs);
  }

  /** Raw samples of the `lookbackMs` before `atMs` (a range-vector selector), with their timestamps. */
  private async samples(selector: string, atMs: number, lookbackMs: number): Promise<PromPoints[]> {
    const data = await this.get('query', { query: `${selector}[${Math.max(1, Math.round(lookbackMs))}ms]`, time: (atMs / 1000).toFixed(3) });
    if (data.resultType !== 'matrix') throw new Error(`Prometheus answered a ${data.resultType}, not a range vector`);
    return (data.result as MatrixResult[]).map((r) => ({ metric: r.metric, points: r.values.map(([t, v]) => [t, Number(v)] as [number, number]) }));
  }

  /** A window read from a gateway Prometheus no longer scrapes would look like a window without traffic. */
  private async requireScraped(atMs: number): Promise<void> {
    const up = await this.instant(`up{job=${promString(this.job)}}`, atMs);
    if (up.length === 0)
      throw new Error(`Prometheus at ${this.url} has no target in job "${this.job}" at ${new Date(atMs).toISOString()}: is it scraping the gateway?`);
    if (up.every((s) => s.value !== 1))
      throw new Error(`Prometheus at ${this.url} could not scrape the gateway (job "${this.job}", up=0) at ${new Date(atMs).toISOString()}`);
  }

  /** An instant vector; throws with Prometheus's own message when the query fails. */
  async instant(query: string, atMs: number): Promise<PromSample[]> {
    const data = await this.get('query', { query, time: (atMs / 1000).toFixed(3) });
    if (data.resultType !== 'vector') throw new Error(`Prometheus answered a ${data.resultType}, not an instant vector`);
    return (data.result as VectorResult[]).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** A range query: one series per label set, with [seconds, value] points. */
  async range(query: string, fromMs: number, toMs: number, stepSeconds: number): Promise<PromSeries[]> {
    const params = { query, start: (fromMs / 1000).toFixed(3), end: (toMs / 1000).toFixed(3), step: String(Math.max(1, Math.round(stepSeconds))) };
    const data = await this.get('query_range', params);
    if (data.resultType !== 'matrix') throw new Error(`Prometheus answered a ${data.resultType}, not a range`);
    return (data.result as MatrixResult[]).map((r) => ({ metric: r.metric, points: r.values.map(([t, v]) => [t, Number(v)] as [number, number]) }));
  }

  private async get(endpoint: 'query' | 'query_range', params: Record<string, string>): Promise<{ resultType: string; result: unknown[] }> {
    let response: Response;
    try {
      const url = `${this.url.replace(/\/$/, '')}/api/v1/${endpoint}?${new URLSearchParams(params).toString()}`;
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      throw new Error(`Prometheus at ${this.url} is unreachable: ${code ?? (error as Error).message}`, { cause: error });
    }
    const body = (await response.json().catch(() => null)) as QueryResponse | null;
    if (!body || body.status !== 'success' || !body.data) {
      throw new PrometheusRefusal(`Prometheus at ${this.url} refused the query (${response.status}): ${body?.error ?? 'no JSON answer'}`, response.status);
    }
    return body.data;
  }
}
