// Named measurements: what a metric provider reports for one analysis window, whatever the store
// (the gateway's own window statistics, Prometheus, …). A measurement that could not be taken
// carries an error instead of a value: it is Error evidence, never a failure of the candidate.
import { emptyHistogram, type Histogram } from './histogram';
import { emptyVariantStats, emptyWindow, type TrafficWindow, type VariantStats } from './stats';

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
 * the whole reading an error: judging on half the figures could pass a failing candidate.
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
    return {
      ...emptyVariantStats(),
      requests: value(TrafficMeasure.requests, variant),
      errors: value(TrafficMeasure.errors, variant),
      latency: latency?.histogram ?? emptyHistogram(),
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
