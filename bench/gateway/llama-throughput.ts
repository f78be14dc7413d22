// Section 3: the real model through the gateway. llama-server serving Gemma 3 270M, streamed chat
// completions, alternately direct and through the gateway: tokens per second (end to end) and time
// to the first token, as seen by the client. The prompt cache is off so every request does its
// prompt processing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ServerSupervisor } from '../../src/hosts/server-supervisor';
import { launchCommandFor } from '../../src/adapters/model-server-engine';
import { engineBinaries } from '../../src/hosts/engine-binaries';
import { serverOptionsSchema } from '../../src/config/spec';
import { startGatewayProcess } from '../../test/helpers/gateway-process';
import { chatTemplate, gemmaQ4 } from '../../test/helpers/real-models';
import { median, round } from '../stats';
import type { OverheadOptions } from './proxy-overhead';

interface StreamTiming {
  ttftMs: number;
  totalMs: number;
  tokens: number;
}

async function streamOnce(baseUrl: string, model: string): Promise<StreamTiming> {
  const body = JSON.stringify({
    model,
    stream: true,
    temperature: 0,
    max_tokens: 64,
    ignore_eos: true,
    cache_prompt: false,
    messages: [{ role: 'user', content: 'Write a short story about a lighthouse keeper who finds a message in a bottle on a stormy night.' }],
  });
  const started = performance.now();
  const response = await request(`${baseUrl}/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  if (response.statusCode !== 200) throw new Error(`${baseUrl}: HTTP ${response.statusCode}: ${await response.body.text()}`);
  let ttftMs = Number.NaN;
  let tokens = 0;
  let pending = '';
  for await (const chunk of response.body) {
    pending += (chunk as Buffer).toString('utf8');
    const events = pending.split('\n\n');
    pending = events.pop() ?? '';
    for (const event of events) {
      if (!/"content":"[^"]/.test(event)) continue;
      if (tokens === 0) ttftMs = performance.now() - started;
      tokens += 1;
    }
  }
  return { ttftMs, totalMs: performance.now() - started, tokens };
}

export async function measureLlamaThroughput(options: OverheadOptions & { requests: number }): Promise<Record<string, unknown>> {
  const supervisor = new ServerSupervisor(mkdtempSync(join(tmpdir(), 'gantry-bench-host-')), launchCommandFor(engineBinaries, '127.0.0.1'));
  const serverOptions = serverOptionsSchema.parse({ contextSize: 1024, threads: 2, parallel: 1, chatTemplateFile: chatTemplate });
  const server = await supervisor.start(
    'bench-llama',
    { engine: 'llama.cpp', modelPath: gemmaQ4(), servedName: 'chat', options: serverOptions },
    60_000,
    () => undefined,
  );
  const gantry = await startGatewayProcess({ GANTRY_GATEWAY_DATA_DIR: join(options.workDir, 'gantry-llama') });
  try {
    await gantry.admin.setRoute('chat', { stable: { url: server.endpoint } });
    const direct: StreamTiming[] = [];
    const through: StreamTiming[] = [];
    await streamOnce(server.endpoint, 'chat'); // warm-up: weights paged in
    await streamOnce(`${gantry.url}/v1`, 'chat');
    for (let i = 0; i < options.requests; i++) {
      // Alternate which goes first so neither always follows the other.
      const pair =
        i % 2 === 0
          ? [
              ['direct', server.endpoint],
              ['gateway', `${gantry.url}/v1`],
            ]
          : [
              ['gateway', `${gantry.url}/v1`],
              ['direct', server.endpoint],
            ];
      for (const [which, url] of pair as [string, string][]) {
        const timing = await streamOnce(url, 'chat');
        (which === 'direct' ? direct : through).push(timing);
        options.log(`  llama ${which}: ${timing.tokens} tokens in ${Math.round(timing.totalMs)} ms, ttft ${round(timing.ttftMs, 1)} ms`);
      }
    }
    const summarise = (runs: StreamTiming[]) => ({
      tokensPerSecond: round(runs.reduce((s, r) => s + r.tokens, 0) / (runs.reduce((s, r) => s + r.totalMs, 0) / 1000), 2),
      ttftMsMedian: round(median(runs.map((r) => r.ttftMs)), 2),
      tokensPerRequest: median(runs.map((r) => r.tokens)),
    });
    const d = summarise(direct);
    const g = summarise(through);
    return {
      requestsEach: options.requests,
      direct: d,
      gateway: g,
      ratios: {
        tokensPerSecondGatewayOverDirect: { value: round(g.tokensPerSecond / d.tokensPerSecond, 3), target: '>= 0.97' },
        ttftGatewayOverDirect: { value: round(g.ttftMsMedian / d.ttftMsMedian, 3), target: '<= 1.03' },
      },
    };
  } finally {
    gantry.child.kill('SIGTERM');
    await gantry.exited;
    await supervisor.stopAll();
  }
}
