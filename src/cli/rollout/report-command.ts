// `gantry rollout report <id>`: gathers what the report shows — the rollout's status, its interval
// record, a few shadow pairs from the gateway, TTFT and tokens/s from Prometheus — and writes one
// self-contained HTML file (or prints the data with --json). What cannot be reached is named in
// the report, never silently left out.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { openIntervalRecordStore } from '../../adapters/open-interval-record-store';
import { PrometheusProvider, promString } from '../../activities/prometheus-provider';
import { reportData, type ChartSeries, type ReportData, type ReportPair } from '../../report/report-data';
import { renderReportHtml, type ChartLibrary } from '../../report/report-html';
import { prometheusUrl, stackConfigFromEnv } from '../../stack/stack-config';
import type { IntervalEntry } from '../../analysis/interval-record';
import { chrF } from '../../analysis/quality/text';
import type { ShadowPair } from '../../gateway/pair-store';
import type { RolloutStatus } from '../../workflows/state/status-view';
import { adminGateway } from '../admin-gateway';
import { qaLines, qualityLines } from './format-status';
import { readRollout } from './rollout-handle';

const PAIRS_SHOWN = 4;

/** Where the orchestrator keeps interval records: its data folder (the dev stack's by default). */
export const orchestratorDataDir = (): string => process.env.GANTRY_ORCHESTRATOR_DATA_DIR ?? join(stackConfigFromEnv().stateDir, 'orchestrator');

/** The rollout's interval record, where the orchestrator keeps it: PostgreSQL with GANTRY_PAIR_STORE_URL, else files. */
export async function readIntervalRecord(rolloutId: string): Promise<IntervalEntry[] | null> {
  const records = await openIntervalRecordStore({ dataDir: orchestratorDataDir(), postgresUrl: process.env.GANTRY_PAIR_STORE_URL || undefined });
  try {
    return await records.read(rolloutId);
  } finally {
    await records.close();
  }
}

function chartLibrary(): ChartLibrary {
  const require = createRequire(import.meta.url);
  const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { script, css };
}

const clip = (text: string | null, max = 600): string => (text === null ? '(no answer)' : text.length > max ? `${text.slice(0, max)}…` : text);

/** Pairs read to choose the ones shown: the most different answers among them, not the first few. */
const PAIRS_READ = 1000;

async function somePairs(status: RolloutStatus, notes: string[]): Promise<ReportPair[]> {
  try {
    const page = await adminGateway().pairRange(status.route, status.rolloutId, null, PAIRS_READ);
    return mostDifferent(page.pairs, PAIRS_SHOWN).map((p) => ({
      time: p.time,
      direction: p.direction,
      prompt: clip(p.prompt, 300),
      stable: clip(p.stable.error ? `error: ${p.stable.error}` : p.stable.answer),
      candidate: clip(p.candidate.error ? `error: ${p.candidate.error}` : p.candidate.answer),
    }));
  } catch (error) {
    notes.push(`shadow pairs not shown: ${(error as Error).message}`);
    return [];
  }
}

/** The `count` pairs whose answers are least alike (chrF), the noise floor's A/A pairs left out, in the order they came. */
export function mostDifferent(pairs: readonly ShadowPair[], count: number): ShadowPair[] {
  const scored = pairs
    .filter((p) => p.direction !== 'aa')
    .map((pair, i) => ({ pair, i, similarity: chrF(pair.candidate.answer ?? '', pair.stable.answer ?? '') }))
    .sort((a, b) => a.similarity - b.similarity || a.i - b.i)
    .slice(0, count);
  return scored.sort((a, b) => a.i - b.i).map((s) => s.pair);
}

/** TTFT p95 and output tokens/s per variant from Prometheus, over the rollout's life. */
async function prometheusCharts(status: RolloutStatus, endMs: number, notes: string[]): Promise<ChartSeries[]> {
  const url = process.env.GANTRY_PROMETHEUS_URL ?? prometheusUrl(stackConfigFromEnv());
  const prometheus = new PrometheusProvider(url, 'gantry-gateway', 10_000);
  const route = promString(status.route);
  const step = Math.max(15, Math.ceil((endMs - status.startedAt) / 1000 / 500));
  const window = `${Math.max(60, step * 2)}s`;
  const queries = [
    {
      title: 'Time to first token, p95',
      unit: 's',
      query: `histogram_quantile(0.95, sum by (variant, le) (rate(gantry_gateway_time_to_first_token_seconds_bucket{route=${route}}[${window}])))`,
    },
    {
      title: 'Output tokens per second',
      unit: 'tokens/s',
      query: `sum by (variant) (rate(gantry_gateway_tokens_total{route=${route},direction="output"}[${window}]))`,
    },
  ];
  const charts: ChartSeries[] = [];
  for (const { title, unit, query } of queries) {
    try {
      const series = await prometheus.range(query, status.startedAt, endMs, step);
      const x = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
      const lines = series.map((s) => {
        const byTime = new Map(s.points.map(([t, v]) => [t, Number.isFinite(v) ? v : null]));
        return { label: s.metric.variant ?? 'all', values: x.map((t) => byTime.get(t) ?? null) };
      });
      if (lines.length === 0) notes.push(`${title}: Prometheus at ${url} has no samples for route ${status.route}`);
      else charts.push({ title, unit, x, lines });
    } catch (error) {
      notes.push(`${title} not shown: ${(error as Error).message}`);
      break;
    }
  }
  return charts;
}

export async function buildReport(client: Client, rolloutId: string, now = Date.now()): Promise<ReportData> {
  const { status } = await readRollout(client, rolloutId);
  const notes: string[] = [];
  // A record that cannot be read (its database away) is named; the rest of the report is still made.
  const intervals = await readIntervalRecord(rolloutId).catch((error: Error) => {
    notes.push(`interval record not read, so no charts over time: ${error.message}`);
    return [];
  });
  const endMs = status.outcome ? Math.max(status.startedAt + 1_000, status.timeline.at(-1)?.at ?? now) : now;
  const [pairs, extraCharts] = await Promise.all([somePairs(status, notes), prometheusCharts(status, endMs, notes)]);
  return reportData({
    status,
    qa: status.qa ? qaLines(status.qa) : [],
    quality: status.quality ? qualityLines(status.quality) : [],
    intervals,
    pairs,
    extraCharts,
    notes,
    now,
  });
}

export function writeReport(data: ReportData, out: string): string {
  const file = resolve(out);
  writeFileSync(file, renderReportHtml(data, chartLibrary()));
  return file;
}
