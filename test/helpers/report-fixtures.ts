// A rollout's report data without running the rollout: a status and an interval record shaped like
// a real one's (an hourly 7-day shadow, then canary steps), for the report's tests and its bench.
import { intervalEntry, type IntervalEntry } from '../../src/analysis/interval-record';
import { record } from '../../src/analysis/histogram';
import { emptyWindow, type VariantStats } from '../../src/analysis/stats';
import type { RolloutStatus } from '../../src/workflows/state/status-view';
import { reportData, type ReportData } from '../../src/report/report-data';

const HOUR = 3_600_000;

function variant(requests: number, errors: number, latencyMs: number): VariantStats {
  const stats: VariantStats = { requests, errors, latency: { counts: {}, total: 0, sumMs: 0 } };
  for (let i = 0; i < Math.min(requests - errors, 50); i++) record(stats.latency, latencyMs + (i % 7) * 10);
  return stats;
}

/** `hours` hourly intervals: a week of shadow, then weights stepping up; a metric wobbling daily. */
export function hourlyRecord(hours: number, startedAt: number): IntervalEntry[] {
  const weights = [1, 5, 25, 50, 100];
  return Array.from({ length: hours }, (_, hour) => {
    const at = startedAt + (hour + 1) * HOUR;
    const shadow = hour < 7 * 24;
    const weight = shadow ? 0 : (weights[Math.min(weights.length - 1, Math.floor((hour - 7 * 24) / (4 * 24)))] ?? 100);
    const window = {
      ...emptyWindow(at - HOUR, at),
      stable: variant(600, hour % 13 === 0 ? 3 : 1, 200),
      candidate: variant(6 * weight, 0, 190),
      shadow: variant(600, 1, 195),
    };
    return intervalEntry({
      at,
      phase: shadow ? 'Shadow' : 'Canary',
      step: shadow ? -1 : weights.indexOf(weight),
      weight,
      judged: shadow ? 'shadow' : 'candidate',
      window,
      verdict: {
        verdict: 'Pass',
        summary: 'all checks pass',
        checks: [{ name: 'error rate', value: 0.001, ok: true, detail: 'candidate error rate 0.1% (max 10%)' }],
      },
      metrics: [{ name: 'tokens-per-second', value: 120 + 20 * Math.sin((hour / 24) * 2 * Math.PI), verdict: 'Pass' }],
      breach: null,
    });
  });
}

/** Just enough of a finished rollout's status for a report: what the report reads. */
export function finishedStatus(rolloutId: string, startedAt: number, endedAt: number, prompt = 'What is the capital of France?'): RolloutStatus {
  const status = {
    rolloutId,
    route: 'chat',
    phase: 'Promoted',
    outcome: 'Promoted',
    reason: 'evaluation passed: 4032 candidate samples (min 200)',
    startedAt,
    step: 4,
    weight: 100,
    lastVerdict: {
      verdict: 'Pass',
      summary: 'all checks pass',
      checks: [{ name: 'error rate', value: 0, threshold: 0.1, ok: true, detail: 'candidate error rate 0.0% (max 10.0%)' }],
    },
    metrics: [{ name: 'tokens-per-second', at: endedAt, value: 131, verdict: 'Pass', detail: 'tokens-per-second = 131 (success when result >= 100)' }],
    evaluation: {
      promote: true,
      reasons: [],
      checks: [{ name: 'candidate samples', value: 4032, threshold: 200, ok: true, detail: '4032 candidate samples (min 200)' }],
    },
    timeline: [
      { at: startedAt, phase: 'Shadow', message: `shadow phase: ${prompt}` },
      { at: Math.min(endedAt, startedAt + 7 * 24 * HOUR), phase: 'Canary', message: 'canary step 1 at 1%' },
      { at: Math.min(endedAt, startedAt + 8 * 24 * HOUR), phase: 'Canary', message: 'canary step 2 at 5%' },
      { at: Math.max(startedAt, endedAt - 24 * HOUR), phase: 'Evaluation', message: 'evaluate the whole canary against the promotion rules' },
      { at: endedAt, phase: 'Promoted', message: 'promoted' },
    ],
    audit: [{ at: startedAt + HOUR, by: 'ops', action: 'pause', reason: 'lunch </script><script>alert(1)</script>' }],
    qa: null,
    quality: null,
  };
  return status as unknown as RolloutStatus;
}

/** The report of a finished rollout analysed hourly for `hours`, ending at its last interval. */
export function hourlyReport(rolloutId: string, hours: number, startedAt: number, qa: string[] = []): ReportData {
  const record = hourlyRecord(hours, startedAt);
  const end = record.at(-1)?.at ?? startedAt;
  return reportData({ status: finishedStatus(rolloutId, startedAt, end), qa, quality: [], intervals: record, pairs: [], extraCharts: [], notes: [], now: end });
}
