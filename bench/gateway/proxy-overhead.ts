// Section 1: what the gateway adds over going straight to a fast upstream, beside nginx (the
// near-limit reference) and @fastify/http-proxy (a plain Node proxy), at 1 and 32 connections.
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../../src/config/toolchain';
import { freePort } from '../../src/hosts/free-port';
import { startGatewayProcess } from '../../test/helpers/gateway-process';
import { MOCK_ANSWER } from '../../test/helpers/mock-upstream';
import { startNginxMockUpstream, startNginxProxy } from './nginx';
import { runWrk, writeWrkScript, type LoadResult } from './wrk';
import { median, round } from '../stats';

export const CHAT_BODY = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'What is the capital of France?' }], max_tokens: 16 });
/** What the mock upstreams answer: one chat completion with usage. */
export const CHAT_ANSWER = MOCK_ANSWER;

type Target = 'direct' | 'nginx' | 'fastifyHttpProxy' | 'gantry';

export interface OverheadOptions {
  workDir: string;
  seconds: number;
  rounds: number;
  log: (line: string) => void;
}

export async function measureProxyOverhead(options: OverheadOptions): Promise<Record<string, unknown>> {
  const upstream = await startNginxMockUpstream(join(options.workDir, 'nginx-upstream'), await freePort(), CHAT_ANSWER);
  const nginx = await startNginxProxy(join(options.workDir, 'nginx-proxy'), await freePort(), upstream.url);
  const fastifyPort = await freePort();
  const fastify = execa(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/gateway/fastify-proxy.ts'), String(fastifyPort), upstream.url], {
    cwd: REPO_ROOT,
    reject: false,
  });
  const gantry = await startGatewayProcess({ GANTRY_GATEWAY_DATA_DIR: join(options.workDir, 'gantry') });
  try {
    // Routing (a 10% sticky-less split), metrics and pair recording (5% of stable mirrored) all on.
    await gantry.admin.setRoute('chat', {
      stable: { url: `${upstream.url}/v1`, label: 'stable' },
      candidate: { url: `${upstream.url}/v1`, label: 'candidate' },
      weight: 10,
      shadowRate: 0.05,
    });
    await waitFor(`http://127.0.0.1:${fastifyPort}/v1/models`);
    const urls: Record<Target, string> = {
      direct: `${upstream.url}/v1/chat/completions`,
      nginx: `${nginx.url}/v1/chat/completions`,
      fastifyHttpProxy: `http://127.0.0.1:${fastifyPort}/v1/chat/completions`,
      gantry: `${gantry.url}/v1/chat/completions`,
    };
    const script = writeWrkScript(options.workDir, CHAT_BODY);
    const report: Record<string, unknown> = {};
    for (const connections of [1, 32]) {
      const runs: Record<Target, LoadResult[]> = { direct: [], nginx: [], fastifyHttpProxy: [], gantry: [] };
      const targets = Object.keys(urls) as Target[];
      for (let r = 0; r < options.rounds; r++) {
        // Rotate the order each round so no target always runs on a warmer or cooler machine.
        for (const target of [...targets.slice(r % targets.length), ...targets.slice(0, r % targets.length)]) {
          await runWrk(urls[target], script, connections, 1); // warm-up (JIT, pools)
          const result = await runWrk(urls[target], script, connections, options.seconds);
          runs[target].push(result);
          options.log(
            `  c${connections} ${target}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, errors ${result.errors}`,
          );
        }
      }
      const summary = Object.fromEntries(
        targets.map((t) => [
          t,
          {
            requestsPerSecond: Math.round(median(runs[t].map((x) => x.requestsPerSecond))),
            p50Ms: median(runs[t].map((x) => x.p50Ms)),
            p99Ms: median(runs[t].map((x) => x.p99Ms)),
            errors: runs[t].reduce((s, x) => s + x.errors, 0),
          },
        ]),
      ) as Record<Target, { requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }>;
      const added = (t: Target, p: 'p50Ms' | 'p99Ms'): number => round(summary[t][p] - summary.direct[p]);
      report[`connections${connections}`] = {
        measured: summary,
        addedMs: Object.fromEntries((['nginx', 'fastifyHttpProxy', 'gantry'] as const).map((t) => [t, { p50: added(t, 'p50Ms'), p99: added(t, 'p99Ms') }])),
        ratios: {
          gantryAddedP50OverNginx: { value: round(added('gantry', 'p50Ms') / added('nginx', 'p50Ms'), 2), target: '<= 2' },
          gantryAddedP50OverFastifyHttpProxy: { value: round(added('gantry', 'p50Ms') / added('fastifyHttpProxy', 'p50Ms'), 2), target: '<= 0.5' },
          gantryAddedP99OverNginx: { value: round(added('gantry', 'p99Ms') / added('nginx', 'p99Ms'), 2), target: 'reported' },
          gantryThroughputOverNginx: { value: round(summary.gantry.requestsPerSecond / summary.nginx.requestsPerSecond, 2), target: '>= 0.5' },
          gantryThroughputOverFastifyHttpProxy: {
            value: round(summary.gantry.requestsPerSecond / summary.fastifyHttpProxy.requestsPerSecond, 2),
            target: '>= 1.5',
          },
        },
      };
    }
    return report;
  } finally {
    gantry.child.kill('SIGTERM');
    await gantry.exited;
    fastify.kill('SIGTERM');
    await fastify;
    await nginx.stop();
    await upstream.stop();
  }
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} did not answer`);
}
