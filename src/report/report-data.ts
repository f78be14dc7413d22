// What a rollout report shows, computed from the rollout's status, its interval record and, where
// they can be reached, a few shadow pairs and Prometheus series. Pure: the CLI gathers, this shapes.
import type { IntervalEntry, VariantFigures } from '../analysis/interval-record';
import type { Outcome } from '../workflows/state/rollout-state';
import type { RolloutStatus } from '../workflows/state/status-view';

/** Time series for one chart: x in seconds (what uPlot plots), one y array per line; null is a gap. */
export interface ChartSeries {
  title: string;
  unit: string;
  x: number[];
  /** dash: a reference line (an interval's edge, a floor, a threshold) drawn dashed */
  lines: { label: string; values: (number | null)[]; dash?: boolean }[];
}

/** A phase's span on every chart over time (seconds, as the charts' x), in the colour it is drawn. */
export interface PhaseBand {
  phase: string;
  fromSec: number;
  toSec: number;
  color: string;
}

export interface ReportPair {
  time: string;
  direction: string;
  prompt: string;
  stable: string;
  candidate: string;
}

export interface ReportRule {
  where: string;
  name: string;
  verdict: string;
  detail: string;
}

export interface ReportData {
  rolloutId: string;
  route: string;
  outcome: string | null;
  reason: string | null;
  phase: string;
  startedAt: number;
  generatedAt: number;
  /** phases and notes, operator commands among them */
  timeline: { at: number; phase: string; message: string }[];
  commands: { at: number; by: string; action: string; reason: string }[];
  charts: ChartSeries[];
  /** the phases, drawn behind every chart over time */
  phases: PhaseBand[];
  rules: ReportRule[];
  qa: string[];
  quality: string[];
  pairs: ReportPair[];
  intervals: number;
  /** what could not be shown, and why */
  notes: string[];
}

const rate = (figures: { requests: number; errors: number } | null): number | null =>
  figures && figures.requests > 0 ? figures.errors / figures.requests : null;

/** Weight, error rate and p95 of stable vs what was judged, interval by interval. */
export function recordCharts(entries: readonly IntervalEntry[]): ChartSeries[] {
  const x = entries.map((e) => Math.round(e.at / 1000));
  const judgedLabel = entries.some((e) => e.judged === 'candidate') ? 'candidate (mirrored answers in shadow)' : 'candidate (mirrored)';
  const charts: ChartSeries[] = [
    { title: 'Candidate weight', unit: '%', x, lines: [{ label: 'weight', values: entries.map((e) => e.weight) }] },
    {
      title: 'Error rate per interval',
      unit: '%',
      x,
      lines: [
        { label: 'stable', values: entries.map((e) => percent(rate(e.stable))) },
        { label: judgedLabel, values: entries.map((e) => percent(rate(e.candidate))) },
      ],
    },
    {
      title: 'p95 latency per interval',
      unit: 'ms',
      x,
      lines: [
        { label: 'stable', values: entries.map((e) => e.stable?.p95Ms ?? null) },
        { label: judgedLabel, values: entries.map((e) => e.candidate?.p95Ms ?? null) },
      ],
    },
  ];
  // Answer speed per interval, where the record has it (entries of older releases do not).
  const answerCharts: [string, string, (f: VariantFigures) => number | null | undefined][] = [
    ['Time to first token p95 per interval (streamed answers)', 'ms', (f) => f.ttftP95Ms],
    ['Output tokens per second of answering, per interval', 'tokens/s', (f) => f.tokensPerSecond],
  ];
  for (const [title, unit, figure] of answerCharts) {
    const of = (f: VariantFigures | null): number | null => (f ? (figure(f) ?? null) : null);
    if (!entries.some((e) => of(e.stable) !== null || of(e.candidate) !== null)) continue;
    charts.push({
      title,
      unit,
      x,
      lines: [
        { label: 'stable', values: entries.map((e) => of(e.stable)) },
        { label: judgedLabel, values: entries.map((e) => of(e.candidate)) },
      ],
    });
  }
  charts.push(...qualityCharts(entries, x));
  const names = [...new Set(entries.flatMap((e) => e.metrics.map((m) => m.name)))];
  for (const name of names) {
    charts.push({
      title: `Custom metric: ${name}`,
      unit: '',
      x,
      lines: [{ label: name, values: entries.map((e) => e.metrics.find((m) => m.name === name)?.value ?? null) }],
    });
  }
  return charts;
}

/**
 * One chart per answer-quality metric: its estimate interval by interval, the confidence sequence
 * around it, and, where the metric has them, the route's noise floor and the threshold it is judged
 * against. Shares are in percent; entries of older releases carry no quality and draw nothing.
 */
function qualityCharts(entries: readonly IntervalEntry[], x: number[]): ChartSeries[] {
  const names = [...new Set(entries.flatMap((e) => (e.quality ?? []).map((q) => q.name)))];
  return names.map((name) => {
    const of = (pick: (q: NonNullable<IntervalEntry['quality']>[number]) => number | null): (number | null)[] =>
      entries.map((e) => {
        const q = e.quality?.find((m) => m.name === name);
        const v = q ? pick(q) : null;
        return v === null ? null : q?.share ? v * 100 : v;
      });
    const share = entries.some((e) => e.quality?.find((m) => m.name === name)?.share);
    const lines: ChartSeries['lines'] = [
      { label: 'candidate estimate', values: of((q) => q.estimate) },
      { label: 'candidate lower bound', values: of((q) => q.interval?.[0] ?? null), dash: true },
      { label: 'candidate upper bound', values: of((q) => q.interval?.[1] ?? null), dash: true },
    ];
    const floor = of((q) => q.floor ?? null);
    if (floor.some((v) => v !== null)) lines.push({ label: 'stable noise floor', values: floor, dash: true });
    const threshold = of((q) => q.threshold ?? null);
    if (threshold.some((v) => v !== null)) lines.push({ label: 'threshold', values: threshold, dash: true });
    return { title: `Answer quality: ${name}`, unit: share ? '%' : '', x, lines };
  });
}

function percent(value: number | null): number | null {
  return value === null ? null : value * 100;
}

/** Light, opaque colours, so lines stay readable over them; a phase not named here is grey. */
const PHASE_COLORS: Readonly<Record<string, string>> = {
  Shadow: '#fff1cc',
  Canary: '#dcebff',
  Evaluation: '#dff5e1',
  Approval: '#efe3ff',
  Promoting: '#c9efd0',
  RollingBack: '#ffdada',
};
const OTHER_PHASE_COLOR = '#eeeeee';
/** The phases a rollout ends in: a moment, not a span. */
const OUTCOMES: ReadonlySet<string> = new Set(['Promoted', 'RolledBack', 'Failed', 'Cancelled'] satisfies Outcome[]);

/**
 * The timeline as spans of phases: each lasts from the first entry in it until the next phase
 * begins; the last, for a rollout still running, until `endMs`. Notes within a phase (a pause, an
 * extension) do not split it.
 */
export function phaseBands(timeline: readonly { at: number; phase: string }[], endMs: number): PhaseBand[] {
  const starts = timeline.filter((entry, i) => i === 0 || entry.phase !== timeline[i - 1]?.phase);
  return starts.flatMap((start, i): PhaseBand[] => {
    if (OUTCOMES.has(start.phase)) return [];
    const toMs = starts[i + 1]?.at ?? endMs;
    if (toMs <= start.at) return [];
    return [{ phase: start.phase, fromSec: start.at / 1000, toSec: toMs / 1000, color: PHASE_COLORS[start.phase] ?? OTHER_PHASE_COLOR }];
  });
}

/** Every rule with its value and verdict: the last interval's checks, the custom metrics, the evaluation. */
export function reportRules(status: RolloutStatus): ReportRule[] {
  const verdictOf = (ok: boolean | null): string => (ok === true ? 'PASS' : ok === false ? 'FAIL' : 'NO DATA');
  const rules: ReportRule[] = [];
  for (const check of status.lastVerdict?.checks ?? [])
    rules.push({ where: 'last interval', name: check.name, verdict: verdictOf(check.ok), detail: check.detail });
  for (const metric of status.metrics) rules.push({ where: 'custom metric', name: metric.name, verdict: metric.verdict.toUpperCase(), detail: metric.detail });
  for (const check of status.evaluation?.checks ?? [])
    rules.push({ where: 'evaluation', name: check.name, verdict: verdictOf(check.ok), detail: check.detail });
  return rules;
}

export function reportData(input: {
  status: RolloutStatus;
  /** the QA report and the quality metrics, as `rollout status` prints them */
  qa: readonly string[];
  quality: readonly string[];
  intervals: readonly IntervalEntry[] | null;
  pairs: readonly ReportPair[];
  extraCharts: readonly ChartSeries[];
  notes: readonly string[];
  now: number;
}): ReportData {
  const { status } = input;
  const notes = [...input.notes];
  if (input.intervals === null) notes.push('no interval record for this rollout on this machine: charts over time are not shown');
  return {
    rolloutId: status.rolloutId,
    route: status.route,
    outcome: status.outcome,
    reason: status.reason,
    phase: status.phase,
    startedAt: status.startedAt,
    generatedAt: input.now,
    timeline: status.timeline.map((t) => ({ at: t.at, phase: t.phase, message: t.message })),
    commands: status.audit.map((a) => ({ at: a.at, by: a.by, action: a.action, reason: a.reason })),
    charts: [...recordCharts(input.intervals ?? []), ...input.extraCharts].filter((c) => c.x.length > 0),
    phases: phaseBands(status.timeline, input.now),
    rules: reportRules(status),
    qa: [...input.qa],
    quality: [...input.quality],
    pairs: [...input.pairs],
    intervals: input.intervals?.length ?? 0,
    notes,
  };
}
