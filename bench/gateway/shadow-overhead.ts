// Section 2: what 100% shadow mirroring to a slow candidate, and to one that never answers, costs
// the users of stable: p99 and throughput against the same gateway with no shadow, side by side.
// The mirror bounds (GANTRY_GATEWAY_SHADOW_MAX_IN_FLIGHT, _MAX_QUEUED, per route) drop what the candidate cannot take.
import { join } from 'node:path';
import { freePort } from '../../src/hosts/free-port';
import { startGatewayProcess } from '../../test/helpers/gateway-process';
import { startMockUpstream } from '../../test/helpers/mock-upstream';
import { metricValue } from '../../test/helpers/gateway-metrics';
import { startNginxMockUpstream } from './nginx';
import { runWrk, writeWrkScript, type LoadResult } from './wrk';
import { median, round } from '../stats';
import { CHAT_ANSWER, CHAT_BODY } from './proxy-overhead';
import type { OverheadOptions } from './proxy-overhead';

type Case = 'noShadow' | 'slowCandidate' | 'hangingCandidate';
const SLOW_CANDIDATE_MS = 250;

export async function measureShadowOverhead(options: OverheadOptions): Promise<Record<string, unknown>> {
  const stable = await startNginxMockUpstream(join(options.workDir, 'nginx-shadow-stable'), await freePort(), CHAT_ANSWER);
  const slow = await startMockUpstream({ delayMs: SLOW_CANDIDATE_MS });
  const hanging = await startMockUpstream({ hang: true });
  const gantry = await startGatewayProcess({ GANTRY_GATEWAY_DATA_DIR: join(options.workDir, 'gantry-shadow') });
  try {
    const stableUpstream = { url: `${stable.url}/v1` };
    await gantry.admin.setRoute('no-shadow', { stable: stableUpstream, candidate: { url: slow.url }, shadowRate: 0 });
    await gantry.admin.setRoute('slow', { stable: stableUpstream, candidate: { url: slow.url }, shadowRate: 1 });
    await gantry.admin.setRoute('hanging', { stable: stableUpstream, candidate: { url: hanging.url }, shadowRate: 1 });
    const routeOf: Record<Case, string> = { noShadow: 'no-shadow', slowCandidate: 'slow', hangingCandidate: 'hanging' };
    const runs: Record<Case, LoadResult[]> = { noShadow: [], slowCandidate: [], hangingCandidate: [] };
    const cases = Object.keys(routeOf) as Case[];
    for (let r = 0; r < options.rounds; r++) {
      for (const c of [...cases.slice(r % cases.length), ...cases.slice(0, r % cases.length)]) {
        const script = writeWrkScript(options.workDir, CHAT_BODY.replace('"model":"chat"', `"model":"${routeOf[c]}"`));
        await runWrk(`${gantry.url}/v1/chat/completions`, script, 32, 1);
        const result = await runWrk(`${gantry.url}/v1/chat/completions`, script, 32, options.seconds);
        runs[c].push(result);
        options.log(`  shadow ${c}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms, errors ${result.errors}`);
      }
    }
    const shadowCount = async (route: string, outcome: string): Promise<number> =>
      (await metricValue(gantry.url, `gantry_gateway_shadow_requests_total{route="${route}",outcome="${outcome}"}`)) ?? 0;
    const summary = (c: Case) => ({
      requestsPerSecond: Math.round(median(runs[c].map((x) => x.requestsPerSecond))),
      p99Ms: median(runs[c].map((x) => x.p99Ms)),
      errors: runs[c].reduce((s, x) => s + x.errors, 0),
    });
    const anchor = summary('noShadow');
    const shadowed = async (c: Case, route: string) => {
      const s = summary(c);
      return {
        measured: s,
        mirrors: { sent: await shadowCount(route, 'sent'), dropped: await shadowCount(route, 'dropped') },
        ratios: {
          userP99OverNoShadow: { value: round(s.p99Ms / anchor.p99Ms, 2), target: '<= 1.05' },
          throughputOverNoShadow: { value: round(s.requestsPerSecond / anchor.requestsPerSecond, 2), target: '>= 0.95' },
        },
      };
    };
    return {
      connections: 32,
      slowCandidateDelayMs: SLOW_CANDIDATE_MS,
      noShadow: anchor,
      slowCandidate: await shadowed('slowCandidate', 'slow'),
      hangingCandidate: await shadowed('hangingCandidate', 'hanging'),
    };
  } finally {
    gantry.child.kill('SIGTERM');
    await gantry.exited;
    await Promise.all([stable.stop(), slow.close(), hanging.close()]);
  }
}
