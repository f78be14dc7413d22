// What an LLM's answers cost and how fast they come, from a variant's window statistics: time to
// first token, output tokens per second, tokens per request and cost per request. Pure, so the
// workflow's rules and every report compute them the same way. `undefined` is "no data": a window
// without streamed answers has no TTFT, one whose answers carried no token counts has no speed.
import { emptyHistogram, quantile, record } from './histogram';
import type { VariantStats } from './stats';

/** What a successful answer held and how soon it began; null where not known (not streamed, no usage). */
export interface AnswerFigures {
  ttftMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
}

/** Counts one successful answer's tokens and first-token time into a variant's statistics. */
export function addAnswer(stats: Pick<VariantStats, 'inputTokens' | 'outputTokens' | 'ttft'>, answer: AnswerFigures): void {
  stats.inputTokens = (stats.inputTokens ?? 0) + (answer.inputTokens ?? 0);
  stats.outputTokens = (stats.outputTokens ?? 0) + (answer.outputTokens ?? 0);
  if (answer.ttftMs !== null) record((stats.ttft ??= emptyHistogram()), answer.ttftMs);
}

/** A variant's price: per 1k tokens (an API), or per GPU-hour (a server of our own). */
export type Price = { inputPer1k: number; outputPer1k: number } | { perGpuHour: number };

/** Successful answers: the latency histogram holds exactly those. */
const answers = (stats: VariantStats): number => stats.latency.total;

export function ttftP95(stats: VariantStats): number | undefined {
  return stats.ttft ? quantile(stats.ttft, 0.95) : undefined;
}

/** Output tokens per second of answering: all output tokens over the time the answers took. */
export function tokensPerSecond(stats: VariantStats): number | undefined {
  const seconds = stats.latency.sumMs / 1000;
  const output = stats.outputTokens ?? 0;
  return output > 0 && seconds > 0 ? output / seconds : undefined;
}

/** Input and output tokens per successful answer. */
export function tokensPerRequest(stats: VariantStats): number | undefined {
  const tokens = (stats.inputTokens ?? 0) + (stats.outputTokens ?? 0);
  return tokens > 0 && answers(stats) > 0 ? tokens / answers(stats) : undefined;
}

/**
 * The mean cost of a successful answer. Per GPU-hour, an answer costs the GPU time it held: its
 * latency at the hourly price, as if the server answered one request at a time (an upper bound for
 * a batching server, the same bound for both variants).
 */
export function costPerRequest(stats: VariantStats, price: Price): number | undefined {
  const n = answers(stats);
  if (n === 0) return undefined;
  if ('perGpuHour' in price) return (price.perGpuHour * stats.latency.sumMs) / 3_600_000 / n;
  const input = stats.inputTokens ?? 0;
  const output = stats.outputTokens ?? 0;
  if (input + output === 0) return undefined;
  return ((input / 1000) * price.inputPer1k + (output / 1000) * price.outputPer1k) / n;
}

export const money = (v: number): string => `$${v < 0.01 ? v.toPrecision(3) : v.toFixed(4)}`;
export const rate = (v: number): string => `${v.toFixed(1)} tokens/s`;
