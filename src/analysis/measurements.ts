// Named measurements: what a metric provider reports for one analysis window, whatever the store
// (the gateway's own window statistics, Prometheus, …). A measurement that could not be taken
// carries an error instead of a value: it is Error evidence, never a failure of the candidate.
import { emptyHistogram, type Histogram } from './histogram';
import { emptyWindow, type TrafficWindow, type VariantStats } from './stats';

export type MeasuredVariant = 'stable' | 'candidate' | 'shadow';

export interface Measurement {
  name: string;
  /** the variant measured; null for a route-wide figure (pairs recorded, mirrors dropped) */
  variant: MeasuredVariant | null;
  value?: number;
  /** a latency distribution, for measurements whose percentiles must stay mergeable over weeks */
  histogram?: Histogram;
  /** why the measurement could not be taken */
  error?: string;
}

/** The traffic measurements every provider reports, by name. */
export const TrafficMeasure = {
  requests: 'requests',
  errors: 'errors',
  latency: 'latency_ms',
  pairs: 'shadow_pairs',
  shadowDropped: 'shadow_dropped',
} as const;

/** What the answers held and how soon they began: reported beside the traffic, not needed by it. */
export const AnswerMeasure = {
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  ttft: 'ttft_ms',
} as const;

const VARIANTS: readonly MeasuredVariant[] = ['stable', 'candidate', 'shadow'];

/** The measurements that describe one traffic window: what the gateway provider reports. */
export function measurementsOfWindow(window: TrafficWindow): Measurement[] {
  const measurements: Measurement[] = [];
  for (const variant of VARIANTS) {
    const stats = window[variant];
    measurements.push(
      { name: TrafficMeasure.requests, variant, value: stats.requests },
      { name: TrafficMeasure.errors, variant, value: stats.errors },
      { name: TrafficMeasure.latency, variant, histogram: stats.latency },
      { name: AnswerMeasure.inputTokens, variant, value: stats.inputTokens ?? 0 },
      { name: AnswerMeasure.outputTokens, variant, value: stats.outputTokens ?? 0 },
      { name: AnswerMeasure.ttft, variant, histogram: stats.ttft ?? emptyHistogram() },
    );
  }
  measurements.push(
    { name: TrafficMeasure.pairs, variant: null, value: window.pairs },
    { name: TrafficMeasure.shadowDropped, variant: null, value: window.shadowDropped },
  );
  return measurements;
}

export type TrafficReading = { ok: true; window: TrafficWindow } | { ok: false; error: string };

/**
 * Rebuilds the traffic window from measurements. Any traffic measurement missing or in error makes
 * the whole reading an error: judging on half the figures could pass a failing candidate. Answer
 * measurements are optional (a provider of an older release did not report them: no data), but one
 * reported in error is an error like any other.
 */
export function trafficFromMeasurements(measurements: readonly Measurement[], fromMs: number, toMs: number): TrafficReading {
  const find = (name: string, variant: MeasuredVariant | null): Measurement | undefined => measurements.find((m) => m.name === name && m.variant === variant);
  const problems: string[] = [];
  const value = (name: string, variant: MeasuredVariant | null): number => {
    const m = find(name, variant);
    if (!m || m.error !== undefined || m.value === undefined || !Number.isFinite(m.value)) {
      problems.push(`${variant ? `${variant} ` : ''}${name}: ${m?.error ?? 'not reported'}`);
      return 0;
    }
    return m.value;
  };
  const variantStats = (variant: MeasuredVariant): VariantStats => {
    const latency = find(TrafficMeasure.latency, variant);
    if (latency?.error !== undefined) problems.push(`${variant} ${TrafficMeasure.latency}: ${latency.error}`);
    const optional = (name: string): Measurement | undefined => {
      const m = find(name, variant);
      if (m?.error !== undefined) problems.push(`${variant} ${name}: ${m.error}`);
      return m;
    };
    const inputTokens = optional(AnswerMeasure.inputTokens)?.value;
    const outputTokens = optional(AnswerMeasure.outputTokens)?.value;
    const ttft = optional(AnswerMeasure.ttft)?.histogram;
    return {
      requests: value(TrafficMeasure.requests, variant),
      errors: value(TrafficMeasure.errors, variant),
      latency: latency?.histogram ?? emptyHistogram(),
      ...(inputTokens === undefined ? {} : { inputTokens }),
      ...(outputTokens === undefined ? {} : { outputTokens }),
      ...(ttft === undefined ? {} : { ttft }),
    };
  };
  const window: TrafficWindow = {
    ...emptyWindow(fromMs, toMs),
    stable: variantStats('stable'),
    candidate: variantStats('candidate'),
    shadow: variantStats('shadow'),
    pairs: value(TrafficMeasure.pairs, null),
    shadowDropped: value(TrafficMeasure.shadowDropped, null),
  };
  return problems.length ? { ok: false, error: problems.join('; ') } : { ok: true, window };
}
