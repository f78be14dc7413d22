// gantry traffic replay: real prompts sent through the gateway at a steady rate, so a rollout's
// analysis has live traffic to judge. Open loop: requests start on schedule, capped in flight.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import OpenAI from 'openai';
import { z } from 'zod';
import { GantryError } from '../../errors';
import { parseDuration } from '../../config/duration';
import { gatewayUrl, stackConfigFromEnv } from '../../stack/stack-config';
import { emptyHistogram, quantile, record } from '../../analysis/histogram';
import { output } from '../output';

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
}

export async function replay(prompts: PromptLine[], options: ReplayOptions, onProgress: (report: ReplayReport) => void): Promise<ReplayReport> {
  const client = new OpenAI({ baseURL: `${options.baseUrl}/v1`, apiKey: options.apiKey ?? 'replay', maxRetries: 0, timeout: 120_000 });
  const latency = emptyHistogram();
  const report: ReplayReport = { sent: 0, ok: 0, errors: 0, skipped: 0, byVariant: {}, errorsByVariant: {}, p50Ms: null, p95Ms: null };
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const send = async (prompt: PromptLine, index: number): Promise<void> => {
    const started = performance.now();
    try {
      const { response } = await client.chat.completions
        .create(
          { model: options.route, messages: [{ role: 'user', content: prompt.prompt }], max_tokens: prompt.max_tokens ?? options.maxTokens, temperature: 0 },
          { headers: { 'x-session-id': prompt.session ?? `replay-${index}` } },
        )
        .withResponse();
      const variant = response.headers.get('x-gantry-variant') ?? 'unknown';
      report.byVariant[variant] = (report.byVariant[variant] ?? 0) + 1;
      report.ok += 1;
      record(latency, performance.now() - started);
    } catch (error) {
      const variant = (error as { headers?: Headers }).headers?.get?.('x-gantry-variant') ?? 'unknown';
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
      onProgress({ ...report, p50Ms: quantile(latency, 0.5) ?? null, p95Ms: quantile(latency, 0.95) ?? null });
    }
  }
  await Promise.all(pending);
  return { ...report, p50Ms: quantile(latency, 0.5) ?? null, p95Ms: quantile(latency, 0.95) ?? null };
}

const summary = (r: ReplayReport): string =>
  `sent ${r.sent}  ok ${r.ok}  errors ${r.errors}  skipped ${r.skipped}  p50 ${r.p50Ms === null ? '-' : Math.round(r.p50Ms)}ms  p95 ${r.p95Ms === null ? '-' : Math.round(r.p95Ms)}ms  by variant ${JSON.stringify(r.byVariant)}  errors by variant ${JSON.stringify(r.errorsByVariant)}`;

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
    .option('--gateway <url>', "gateway base URL (default: the dev stack's)")
    .option('--json', 'print the final report as JSON')
    .action(
      async (
        file: string,
        options: { rate: string; duration: string; route: string; maxInFlight: string; maxTokens: string; gateway?: string; json?: boolean },
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
