// One analysis interval as the per-rollout record keeps it: when, where the rollout stood, what was
// measured (per variant: requests, errors, p95, TTFT p95, tokens/s) and what was decided. Small and flat, so weeks of
// hourly intervals plot without the workflow's history holding them.
import type { Verdict } from './interval-verdict';
import type { MetricStanding } from './metric-verdict';
import { p95, type TrafficWindow, type VariantStats } from './stats';
import { tokensPerSecond, ttftP95 } from './answer-figures';

export interface VariantFigures {
  requests: number;
  errors: number;
  /** null: no successful request to measure */
  p95Ms: number | null;
  // Absent in entries written before they were recorded; null: no streamed answer, no counted tokens.
  ttftP95Ms?: number | null;
  tokensPerSecond?: number | null;
}

export interface IntervalEntry {
  at: number;
  phase: string;
  step: number;
  weight: number;
  /** the window read; null when it could not be read (an Error interval) */
  window: { fromMs: number; toMs: number } | null;
  /** what was judged against the stable: mirrored answers in the shadow phase, the candidate after */
  judged: 'shadow' | 'candidate';
  stable: VariantFigures | null;
  candidate: VariantFigures | null;
  verdict: Verdict;
  summary: string;
  checks: { name: string; value: number | null; ok: boolean | null; detail: string }[];
  metrics: { name: string; value: number | null; verdict: Verdict }[];
  /** set when this interval ended the phase in a rollback */
  breach: string | null;
  /** every answer-quality metric as classified after this interval (absent in older entries) */
  quality?: QualityFigure[];
}

/** A quality metric at one interval, for its chart over time. */
export interface QualityFigure {
  name: string;
  status: string;
  estimate: number | null;
  interval: [number, number] | null;
  /** the route's noise floor and the value the estimate is judged against, where the metric has them */
  floor?: number | null;
  threshold?: number | null;
  /** the figures are shares (0–1), shown in percent */
  share: boolean;
}

export function figuresOf(stats: VariantStats): VariantFigures {
  return {
    requests: stats.requests,
    errors: stats.errors,
    p95Ms: p95(stats) ?? null,
    ttftP95Ms: ttftP95(stats) ?? null,
    tokensPerSecond: tokensPerSecond(stats) ?? null,
  };
}

export function intervalEntry(input: {
  at: number;
  phase: string;
  step: number;
  weight: number;
  judged: 'shadow' | 'candidate';
  window: TrafficWindow | null;
  verdict: { verdict: Verdict; summary: string; checks: readonly { name: string; value: number | null; ok: boolean | null; detail: string }[] };
  metrics: readonly Pick<MetricStanding, 'name' | 'value' | 'verdict'>[];
  breach: string | null;
  quality?: readonly QualityFigure[];
}): IntervalEntry {
  const { window } = input;
  return {
    at: input.at,
    phase: input.phase,
    step: input.step,
    weight: input.weight,
    window: window ? { fromMs: window.fromMs, toMs: window.toMs } : null,
    judged: input.judged,
    stable: window ? figuresOf(window.stable) : null,
    candidate: window ? figuresOf(window[input.judged]) : null,
    verdict: input.verdict.verdict,
    summary: input.verdict.summary,
    checks: input.verdict.checks.map((c) => ({ name: c.name, value: c.value, ok: c.ok, detail: c.detail })),
    metrics: input.metrics.map((m) => ({ name: m.name, value: m.value, verdict: m.verdict })),
    breach: input.breach,
    ...(input.quality ? { quality: input.quality.map((q) => ({ ...q })) } : {}),
  };
}

/** Entries read back: a retried append may have written one twice; the first of each instant is kept, in order. */
export function distinctEntries(entries: readonly IntervalEntry[]): IntervalEntry[] {
  const seen = new Set<number>();
  return [...entries].sort((a, b) => a.at - b.at).filter((e) => (seen.has(e.at) ? false : (seen.add(e.at), true)));
}
