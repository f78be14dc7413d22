// Section 5: what checking client keys costs — the same gateway with keys off and with keys
// required (one unlimited key, allowed on the route), side by side against one fast nginx upstream.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/hosts/free-port';
import { startGatewayProcess, type GatewayProcess } from '../../test/helpers/gateway-process';
import { startNginxMockUpstream } from './nginx';
import { runWrk, writeWrkScript, type LoadResult } from './wrk';
import { CHAT_ANSWER, CHAT_BODY, type OverheadOptions } from './proxy-overhead';
import { median, round } from '../stats';

type Mode = 'keysOff' | 'keysRequired';

export async function measureClientKeyCost(options: OverheadOptions): Promise<Record<string, unknown>> {
  const upstream = await startNginxMockUpstream(join(options.workDir, 'nginx-keys-upstream'), await freePort(), CHAT_ANSWER);
  const gateways: Partial<Record<Mode, GatewayProcess>> = {};
  try {
    for (const mode of ['keysOff', 'keysRequired'] as const) {
      const gateway = await startGatewayProcess({
        GANTRY_GATEWAY_DATA_DIR: join(options.workDir, `gantry-${mode}`),
        GANTRY_GATEWAY_CLIENT_KEYS: mode === 'keysRequired' ? 'required' : 'off',
      });
      gateways[mode] = gateway;
      await gateway.admin.setRoute('chat', { stable: { url: `${upstream.url}/v1`, label: 'stable' } });
    }
    const required = gateways.keysRequired as GatewayProcess;
    const { key } = await required.admin.createClientKey({ name: 'bench', routes: ['chat'] });
    const scriptDir = (name: string): string => {
      const dir = join(options.workDir, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    const scripts: Record<Mode, string> = {
      keysOff: writeWrkScript(scriptDir('wrk-off'), CHAT_BODY),
      keysRequired: writeWrkScript(scriptDir('wrk-keys'), CHAT_BODY, { Authorization: `Bearer ${key}` }),
    };
    const report: Record<string, unknown> = {};
    for (const connections of [1, 32]) {
      const runs: Record<Mode, LoadResult[]> = { keysOff: [], keysRequired: [] };
      for (let r = 0; r < options.rounds * 2; r++) {
        const order: Mode[] = r % 2 === 0 ? ['keysOff', 'keysRequired'] : ['keysRequired', 'keysOff'];
        for (const mode of order) {
          const url = `${(gateways[mode] as GatewayProcess).url}/v1/chat/completions`;
          await runWrk(url, scripts[mode], connections, 1); // warm-up
          const result = await runWrk(url, scripts[mode], connections, options.seconds);
          if (result.errors > 0) throw new Error(`${mode}: ${result.errors} errors (a refused key would show here)`);
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
    return report;
  } finally {
    for (const gateway of Object.values(gateways)) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    await upstream.stop();
  }
}
