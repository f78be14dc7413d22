// bench/gateway: the gateway's cost and protection, each measured side by side in one run on this
// machine, printed as JSON ratios (progress goes to stderr). Not part of npm test.
//   npm run bench:gateway -- [--seconds 5] [--rounds 2] [--llama-requests 8] [--only overhead,shadow,llama,breaker,keys]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureProxyOverhead } from './gateway/proxy-overhead';
import { measureShadowOverhead } from './gateway/shadow-overhead';
import { measureLlamaThroughput } from './gateway/llama-throughput';
import { measureBreakerTrip } from './gateway/breaker-trip';
import { measureClientKeyCost } from './gateway/client-keys';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    'llama-requests': { type: 'string', default: '8' },
    only: { type: 'string', default: 'overhead,shadow,llama,breaker,keys' },
  },
});
const sections = new Set(values.only.split(','));
const workDir = mkdtempSync(join(tmpdir(), 'gantry-bench-'));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const options = { workDir, seconds: Number(values.seconds), rounds: Number(values.rounds), log };

const report: Record<string, unknown> = { machine: { cores: (await import('node:os')).cpus().length, node: process.version } };
if (sections.has('overhead')) {
  log('proxy overhead (wrk against a fast nginx mock upstream)…');
  report.proxyOverhead = await measureProxyOverhead(options);
}
if (sections.has('shadow')) {
  log('100% shadow to a slow and to a hanging candidate…');
  report.shadowOverhead = await measureShadowOverhead(options);
}
if (sections.has('llama')) {
  log('llama-server with the real model, direct and through the gateway…');
  report.llamaServer = await measureLlamaThroughput({ ...options, requests: Number(values['llama-requests']) });
}
if (sections.has('breaker')) {
  log('a candidate that fails every request…');
  report.circuitBreaker = await measureBreakerTrip(options);
}
if (sections.has('keys')) {
  log('client keys off and required, side by side…');
  report.clientKeys = await measureClientKeyCost(options);
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
