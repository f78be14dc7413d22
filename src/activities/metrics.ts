// Metric activities: one window of named measurements for the analysis loop, custom metrics read
// with PromQL, and the check that every source a rollout needs answers before traffic moves.
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../errors';
import type { MetricProvider } from './metric-provider';
import { PrometheusRefusal, type PrometheusProvider } from './prometheus-provider';
import type { Measurement } from '../analysis/measurements';

export type MetricSource = 'gateway' | 'prometheus';

export interface MetricDeps {
  /** where the built-in measurements come from when the spec does not say (GANTRY_METRIC_PROVIDER) */
  defaultSource: MetricSource;
  gateway: MetricProvider;
  /** the built-in measurements and custom PromQL; null when the orchestrator has no GANTRY_PROMETHEUS_URL */
  prometheus: PrometheusProvider | null;
}

const NO_PROMETHEUS = 'the orchestrator has no Prometheus to ask: set GANTRY_PROMETHEUS_URL in its environment';

export function createMetricActivities(deps: MetricDeps) {
  function sourceFor(source: MetricSource = deps.defaultSource): MetricProvider {
    const provider = source === 'gateway' ? deps.gateway : deps.prometheus;
    if (!provider) throw ApplicationFailure.nonRetryable(`analysis.provider is ${source}, but ${NO_PROMETHEUS}`, FailureType.INVALID_SPEC);
    return provider;
  }

  function prometheus(): PrometheusProvider {
    if (!deps.prometheus) throw ApplicationFailure.nonRetryable(`analysis.metrics need Prometheus, but ${NO_PROMETHEUS}`, FailureType.INVALID_SPEC);
    return deps.prometheus;
  }

  async function collectMeasurements(input: {
    route: string;
    fromMs: number;
    toMs: number;
    provider?: MetricSource;
    /** when the rollout began (absent in histories from before it was sent) */
    notBeforeMs?: number;
  }): Promise<Measurement[]> {
    return sourceFor(input.provider).measure(input.route, input.fromMs, input.toMs, input.notBeforeMs);
  }

  /** One custom metric at `atMs`: its single value, or null when the query found no sample. */
  async function queryMetric(input: { name: string; query: string; atMs: number }): Promise<{ value: number | null }> {
    const samples = await prometheus().instant(input.query, input.atMs);
    if (samples.length > 1) throw new Error(`the query returned ${samples.length} series; aggregate it to one (sum, max, histogram_quantile …)`);
    const value = samples[0]?.value;
    return { value: value === undefined || Number.isNaN(value) ? null : value };
  }

  /**
   * Before traffic moves: every custom query must parse and the sources must answer. A query
   * Prometheus refuses is the spec's fault (not retried); an unreachable source is retried a few
   * times, then fails the rollout before it started anything.
   */
  async function checkMetricSources(input: {
    route: string;
    provider?: MetricSource;
    queries: { name: string; query: string }[];
    atMs: number;
  }): Promise<void> {
    if (input.provider !== undefined) await sourceFor(input.provider).measure(input.route, input.atMs - 1_000, input.atMs);
    for (const { name, query } of input.queries) {
      try {
        await prometheus().instant(query, input.atMs);
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        const message = `analysis.metrics ${name}: ${(error as Error).message}`;
        if (error instanceof PrometheusRefusal && error.status === 400) throw ApplicationFailure.nonRetryable(message, FailureType.INVALID_SPEC);
        throw new Error(message, { cause: error });
      }
    }
  }

  return { collectMeasurements, queryMetric, checkMetricSources };
}

export type MetricActivities = ReturnType<typeof createMetricActivities>;
