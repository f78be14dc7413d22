// gantry traffic replay: real prompts sent through the gateway at a steady rate, so a rollout's
// analysis has live traffic to judge. Open loop: requests start on schedule, capped in flight. A
// share of them stream, as chat clients do, so time to first token is measured too.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import OpenAI from 'openai';
import { z } from 'zod';
import { GantryError } from '../../errors';
import { parseDuration } from '../../config/duration';
import { gatewayUrl, stackConfigFromEnv } from '../../stack/stack-config';
import { emptyHistogram, quantile, record } from '../../analysis/histogram';
import { output } from '../output';
import { ms } from '../../analysis/checks';

const promptLine = z.object({ prompt: z.string().min(1), session: z.string().optional(), max_tokens: z.number().int().positive().optional() });
type PromptLine = z.output<typeof promptLine>;

export function parsePrompts(text: string, source: string): PromptLine[] {
  const prompts = text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), index }))
    .filter(({ line }) => line !== '')
    .map(({ line, index }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new GantryError('INVALID_SPEC', `${source}:${index + 1}: not valid JSON`);
      }
      const parsed = promptLine.safeParse(raw);
      if (!parsed.success)
        throw new GantryError(
          'INVALID_SPEC',
          `${source}:${index + 1}: ${parsed.error.issues[0]?.path.join('.') || 'line'}: ${parsed.error.issues[0]?.message}`,
        );
      return parsed.data;
    });
  if (prompts.length === 0) throw new GantryError('INVALID_SPEC', `${source}: no prompts`);
  return prompts;
}

export interface ReplayOptions {
  route: string;
  rate: number;
  durationMs: number;
  maxInFlight: number;
  maxTokens: number;
  baseUrl: string;
  /** the share of requests sent with `stream: true`, spread evenly (0 when not given) */
  streamShare?: number;
  /** a client key, where the gateway requires one */
  apiKey?: string;
  /** stops sending before durationMs is up (what was sent is still awaited) */
  signal?: AbortSignal;
}

export interface ReplayReport {
  sent: number;
  ok: number;
  errors: number;
  skipped: number;
  /** answered requests by the variant that answered (x-gantry-variant), errors included */
  byVariant: Record<string, number>;
  /** failed requests by the variant that failed them */
  errorsByVariant: Record<string, number>;
  p50Ms: number | null;
  p95Ms: number | null;
  /** requests sent streamed, and the time to their first chunk as the client saw it */
  streamed: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
}

/** Whether the i-th request streams: `share` of them, spread evenly (0.5 streams every other one). */
export function streamsAt(index: number, share: number): boolean {
  return Math.floor((index + 1) * share) > Math.floor(index * share);
}

export async function replay(prompts: PromptLine[], options: ReplayOptions, onProgress: (report: ReplayReport) => void): Promise<ReplayReport> {
  const client = new OpenAI({ baseURL: `${options.baseUrl}/v1`, apiKey: options.apiKey ?? 'replay', maxRetries: 0, timeout: 120_000 });
  const latency = emptyHistogram();
  const ttft = emptyHistogram();
  // Counts only: the quantiles are read from the histograms whenever a report is given out.
  const report: Omit<ReplayReport, 'p50Ms' | 'p95Ms' | 'ttftP50Ms' | 'ttftP95Ms'> = {
    sent: 0,
    ok: 0,
    errors: 0,
    skipped: 0,
    byVariant: {},
    errorsByVariant: {},
    streamed: 0,
  };
  const withQuantiles = (): ReplayReport => ({
    ...report,
    p50Ms: quantile(latency, 0.5) ?? null,
    p95Ms: quantile(latency, 0.95) ?? null,
    ttftP50Ms: quantile(ttft, 0.5) ?? null,
    ttftP95Ms: quantile(ttft, 0.95) ?? null,
  });
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  /** Sends one request and reads its answer to the end; `answer.variant` is set once the headers are in. */
  const ask = async (prompt: PromptLine, index: number, started: number, answer: { variant: string }): Promise<void> => {
    const body = {
      model: options.route,
      messages: [{ role: 'user' as const, content: prompt.prompt }],
      max_tokens: prompt.max_tokens ?? options.maxTokens,
      temperature: 0,
    };
    const headers = { 'x-session-id': prompt.session ?? `replay-${index}` };
    if (!streamsAt(index, options.streamShare ?? 0)) {
      const { response } = await client.chat.completions.create(body, { headers }).withResponse();
      answer.variant = response.headers.get('x-gantry-variant') ?? 'unknown';
      return;
    }
    report.streamed += 1;
    const { data: stream, response } = await client.chat.completions.create({ ...body, stream: true }, { headers }).withResponse();
    // Known before the stream is read, so an answer cut mid-stream is an error of the variant that gave it.
    answer.variant = response.headers.get('x-gantry-variant') ?? 'unknown';
    let first = true;
    for await (const _chunk of stream) {
      if (first) record(ttft, performance.now() - started);
      first = false;
    }
  };
  const send = async (prompt: PromptLine, index: number): Promise<void> => {
    const started = performance.now();
    const answer = { variant: 'unknown' };
    try {
      await ask(prompt, index, started, answer);
      const variant = answer.variant;
      report.byVariant[variant] = (report.byVariant[variant] ?? 0) + 1;
      report.ok += 1;
      record(latency, performance.now() - started);
    } catch (error) {
      const variant = (error as { headers?: Headers }).headers?.get?.('x-gantry-variant') ?? answer.variant;
      report.byVariant[variant] = (report.byVariant[variant] ?? 0) + 1;
      report.errorsByVariant[variant] = (report.errorsByVariant[variant] ?? 0) + 1;
      report.errors += 1;
    }
  };
  const started = Date.now();
  const intervalMs = 1000 / options.rate;
  let lastProgress = started;
  for (let i = 0; Date.now() - started < options.durationMs && !options.signal?.aborted; i++) {
    const due = started + i * intervalMs;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    if (inFlight >= options.maxInFlight) {
      report.skipped += 1;
    } else {
      inFlight += 1;
      report.sent += 1;
      const promise = send(prompts[i % prompts.length] as PromptLine, i).finally(() => {
        inFlight -= 1;
        pending.delete(promise);
      });
      pending.add(promise);
    }
    if (Date.now() - lastProgress >= 5_000) {
      lastProgress = Date.now();
      onProgress(withQuantiles());
    }
  }
  await Promise.all(pending);
  return withQuantiles();
}

const orDash = (value: number | null): string => (value === null ? '-' : ms(value));
const summary = (r: ReplayReport): string =>
  `sent ${r.sent}  ok ${r.ok}  errors ${r.errors}  skipped ${r.skipped}  p50 ${orDash(r.p50Ms)}  p95 ${orDash(r.p95Ms)}  streamed ${r.streamed}  TTFT p95 ${orDash(r.ttftP95Ms)}  by variant ${JSON.stringify(r.byVariant)}  errors by variant ${JSON.stringify(r.errorsByVariant)}`;

export function registerTrafficCommands(program: Command): void {
  const traffic = program.command('traffic').description('send traffic through the gateway');
  traffic
    .command('replay <prompts>')
    .description('replay a prompts JSONL file ({"prompt": "...", "session"?: "..."} per line) through the gateway')
    .option('--rate <perSecond>', 'requests per second', '2')
    .option('--duration <duration>', 'how long to send, e.g. 90s, 5m', '60s')
    .option('--route <model>', 'the route (model name) to ask for', 'chat')
    .option('--max-in-flight <n>', 'requests in flight at most; beyond, a request is skipped and counted', '8')
    .option('--max-tokens <n>', 'max_tokens per request', '24')
    .option('--stream <share>', 'the share of requests sent streamed (0 to 1), so time to first token is measured', '0.5')
    .option('--gateway <url>', "gateway base URL (default: the dev stack's)")
    .option('--json', 'print the final report as JSON')
    .action(
      async (
        file: string,
        options: {
          rate: string;
          duration: string;
          route: string;
          maxInFlight: string;
          maxTokens: string;
          stream: string;
          gateway?: string;
          json?: boolean;
        },
      ) => {
        const out = output(Boolean(options.json));
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          throw new GantryError('INVALID_SPEC', `${file}: cannot read the prompts file`);
        }
        const rate = Number(options.rate);
        if (!(rate > 0)) throw new GantryError('INVALID_SPEC', `--rate must be a positive number, got "${options.rate}"`);
        const streamShare = Number(options.stream);
        if (!(streamShare >= 0 && streamShare <= 1)) throw new GantryError('INVALID_SPEC', `--stream must be a share from 0 to 1, got "${options.stream}"`);
        let durationMs: number;
        try {
          durationMs = parseDuration(options.duration);
        } catch (error) {
          throw new GantryError('INVALID_SPEC', `--duration: ${(error as Error).message}`);
        }
        const report = await replay(
          parsePrompts(text, file),
          {
            route: options.route,
            rate,
            durationMs,
            maxInFlight: Math.max(1, Number(options.maxInFlight) || 8),
            maxTokens: Math.max(1, Number(options.maxTokens) || 24),
            streamShare,
            baseUrl: options.gateway ?? gatewayUrl(stackConfigFromEnv()),
            apiKey: process.env.GANTRY_CLIENT_KEY || undefined,
          },
          (progress) => out.line(`  ${summary(progress)}`),
        );
        out.result(report, () => summary(report));
        if (report.ok === 0) process.exitCode = 1;
      },
    );
}
