// Section 5: what checking client keys costs — the gateway with keys off and with keys required
// (one unlimited key, allowed on the route) against one fast nginx upstream. Each measurement
// starts a fresh gateway process, in alternating order: two long-lived processes side by side
// differed by 20% with keys off in both (an A/A run), which hid the cost being measured.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/hosts/free-port';
import { startGatewayProcess } from '../../test/helpers/gateway-process';
import { startNginxMockUpstream } from './nginx';
import { runWrk, writeWrkScript, type LoadResult } from './wrk';
import { CHAT_ANSWER, CHAT_BODY, type OverheadOptions } from './proxy-overhead';
import { median, round } from '../stats';
import { ClientKeyStore } from '../../src/gateway/client-keys';
import { ClientAccess } from '../../src/gateway/client-access';

type Mode = 'keysOff' | 'keysRequired';

async function measureOnce(options: OverheadOptions, upstreamUrl: string, mode: Mode, connections: number, run: number): Promise<LoadResult> {
  const dir = join(options.workDir, `keys-${mode}-${connections}-${run}`);
  mkdirSync(dir, { recursive: true });
  const gateway = await startGatewayProcess({ GANTRY_GATEWAY_DATA_DIR: dir, GANTRY_GATEWAY_CLIENT_KEYS: mode === 'keysRequired' ? 'required' : 'off' });
  try {
    await gateway.admin.setRoute('chat', { stable: { url: `${upstreamUrl}/v1`, label: 'stable' } });
    const headers: Record<string, string> =
      mode === 'keysRequired' ? { Authorization: `Bearer ${(await gateway.admin.createClientKey({ name: 'bench', routes: ['chat'] })).key}` } : {};
    const script = writeWrkScript(dir, CHAT_BODY, headers);
    const url = `${gateway.url}/v1/chat/completions`;
    await runWrk(url, script, connections, 1); // warm-up (JIT, pools)
    const result = await runWrk(url, script, connections, options.seconds);
    if (result.errors > 0) throw new Error(`${mode}: ${result.errors} errors (a refused key would show here)`);
    return result;
  } finally {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
}

/** The check itself, in-process: microseconds per request (authentication, allow-list, no bucket). */
function checkMicros(workDir: string): number {
  const store = new ClientKeyStore(join(workDir, 'keys-micro', 'client-keys.json'));
  const access = new ClientAccess('required', store);
  const header = `Bearer ${store.create({ name: 'bench', routes: ['chat'] }, new Date()).key}`;
  const calls = 200_000;
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) access.check(header, 'chat', i);
    samples.push(((performance.now() - started) * 1000) / calls);
  }
  return median(samples);
}

export async function measureClientKeyCost(options: OverheadOptions): Promise<Record<string, unknown>> {
  const upstream = await startNginxMockUpstream(join(options.workDir, 'nginx-keys-upstream'), await freePort(), CHAT_ANSWER);
  try {
    const report: Record<string, unknown> = {};
    for (const connections of [1, 32]) {
      const runs: Record<Mode, LoadResult[]> = { keysOff: [], keysRequired: [] };
      for (let r = 0; r < options.rounds * 2; r++) {
        const order: Mode[] = r % 2 === 0 ? ['keysOff', 'keysRequired'] : ['keysRequired', 'keysOff'];
        for (const mode of order) {
          const result = await measureOnce(options, upstream.url, mode, connections, r);
          runs[mode].push(result);
          options.log(`  c${connections} ${mode}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
        }
      }
      const rps = (m: Mode): number => median(runs[m].map((x) => x.requestsPerSecond));
      const p50 = (m: Mode): number => median(runs[m].map((x) => x.p50Ms));
      report[`connections${connections}`] = {
        requestsPerSecond: { keysOff: Math.round(rps('keysOff')), keysRequired: Math.round(rps('keysRequired')) },
        p50Ms: { keysOff: p50('keysOff'), keysRequired: p50('keysRequired') },
        ratios: {
          throughputKeysOverOff: { value: round(rps('keysRequired') / rps('keysOff'), 3), target: '>= 0.95' },
          p50KeysOverOff: { value: round(p50('keysRequired') / p50('keysOff'), 3), target: '<= 1.05' },
        },
      };
    }
    const micros = checkMicros(options.workDir);
    const p50OffMicros = ((report.connections1 as { p50Ms: { keysOff: number } }).p50Ms.keysOff ?? 0) * 1000;
    report.checkItself = {
      microsPerRequest: round(micros, 2),
      shareOfKeysOffP50AtOneConnection: { value: round(micros / p50OffMicros, 3), target: '<= 0.05' },
    };
    return report;
  } finally {
    await upstream.stop();
  }
}
