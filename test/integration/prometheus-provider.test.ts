// The Prometheus metric provider against a real Prometheus (Debian's) scraping a real gateway over
// real sockets: for the same window it reads exactly what the gateway's own provider reads, windows
// that meet add up, and a Prometheus or gateway that is gone is an error, never an empty window.
// Prometheus also finds the model servers a host's supervisor starts (a real llama-server) through
// the target file the supervisor keeps, and forgets them when they are stopped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startGateway, type GatewayHarness } from '../helpers/gateway-harness';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { createMetricProvider } from '../../src/activities/metric-provider-factory';
import { PrometheusProvider } from '../../src/activities/prometheus-provider';
import { preparePrometheusDir, startPrometheus, writeScrapeTargets } from '../../src/stack/prometheus';
import { quietPort } from '../helpers/quiet-ports';
import { stopProcess } from '../../src/hosts/process-control';
import type { ProcessRecord } from '../../src/stack/managed-process';
import type { Measurement } from '../../src/analysis/measurements';
import { ServerSupervisor } from '../../src/hosts/server-supervisor';
import { launchCommandFor } from '../../src/adapters/model-server-engine';
import { engineBinaries } from '../../src/hosts/engine-binaries';
import { serverOptionsSchema } from '../../src/config/spec';
import { chatTemplate, gemmaQ4 } from '../helpers/real-models';

const SCRAPE_S = 1;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let stable: MockUpstream;
let candidate: MockUpstream;
let gateway: GatewayHarness;
let prometheus: ProcessRecord;
let promUrl: string;
let promDir: string;
let gatewayClosed = false;
let supervisor: ServerSupervisor;
let hostDir: string;

async function send(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const response = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // every third one streamed, so first-token times are measured too
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 8, stream: i % 3 === 0 }),
    });
    await response.body.text();
  }
}

/** Waits until Prometheus has scraped the gateway at least twice after now. */
async function scrapedAfter(provider: PrometheusProvider): Promise<number> {
  const after = Date.now();
  for (;;) {
    await sleep(SCRAPE_S * 1000);
    const samples = await provider.instant('timestamp(up{job="gantry-gateway"})', Date.now());
    if (samples.some((s) => s.value * 1000 > after + SCRAPE_S * 1000)) return Date.now();
  }
}

const byName = (measurements: Measurement[]): Record<string, Measurement> =>
  Object.fromEntries(measurements.map((m) => [`${m.name}/${m.variant ?? 'route'}`, m]));

function assertSameWindow(fromPrometheus: Measurement[], fromGateway: Measurement[]): void {
  const prom = byName(fromPrometheus);
  const gw = byName(fromGateway);
  assert.deepEqual(Object.keys(prom).sort(), Object.keys(gw).sort());
  for (const [key, expected] of Object.entries(gw)) {
    const got = prom[key] as Measurement;
    assert.equal(got.value, expected.value, key);
    if (expected.histogram) {
      assert.deepEqual(got.histogram?.counts, expected.histogram.counts, `${key} buckets`);
      assert.equal(got.histogram?.total, expected.histogram.total, `${key} total`);
      assert.ok(Math.abs((got.histogram?.sumMs ?? 0) - expected.histogram.sumMs) < 0.01, `${key} sum ${got.histogram?.sumMs} vs ${expected.histogram.sumMs}`);
    }
  }
}

before(async () => {
  stable = await startMockUpstream({ delayMs: 5 });
  candidate = await startMockUpstream({ delayMs: 20 });
  gateway = await startGateway({ shadowMaxQueued: 64 });
  // Half the live traffic to the candidate, and every stable answer mirrored to it as well.
  await gateway.admin.setRoute('chat', { stable: { url: stable.url }, candidate: { url: candidate.url }, weight: 50, shadowRate: 1 });
  hostDir = mkdtempSync(join(tmpdir(), 'gantry-host-'));
  supervisor = new ServerSupervisor(hostDir, launchCommandFor(engineBinaries, '127.0.0.1'));
  promDir = mkdtempSync(join(tmpdir(), 'gantry-prom-'));
  preparePrometheusDir(promDir, SCRAPE_S, [join(hostDir, 'scrape-targets.json')]);
  writeScrapeTargets(promDir, 'gateway', [{ address: new URL(gateway.url).host }]);
  const port = await quietPort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = await startPrometheus(promDir, port, join(promDir, 'prometheus.log'));
});

after(async () => {
  await supervisor?.stopAll();
  if (prometheus) await stopProcess(prometheus.pid);
  if (!gatewayClosed) await gateway?.close();
  await stable?.close();
  await candidate?.close();
});

describe('the Prometheus metric provider', () => {
  it('reads the same window as the gateway: requests, errors, latency buckets, first-token times, tokens, pairs — and windows that meet add up', async () => {
    const provider = new PrometheusProvider(promUrl, 'gantry-gateway');
    const viaGateway = createMetricProvider({ kind: 'gateway', url: gateway.url, token: gateway.token });
    // Windows start on a second, as the gateway keeps its statistics per second.
    const from = Math.ceil((await scrapedAfter(provider)) / 1000) * 1000;
    await sleep(from - Date.now() + 10);
    await send(40);
    candidate.behave({ failStatus: 500 });
    await send(20);
    const mid = Math.ceil((await scrapedAfter(provider)) / 1000) * 1000;
    await sleep(mid - Date.now() + 10);
    candidate.behave({ delayMs: 20 });
    await send(30);
    await sleep(500); // the last mirrors and their pairs
    const to = Math.ceil((await scrapedAfter(provider)) / 1000) * 1000;
    await sleep(to - Date.now() + 10);

    const whole = await provider.measure('chat', from, to);
    assertSameWindow(whole, await viaGateway.measure('chat', from, to));
    const m = byName(whole);
    // A candidate's failure is answered by stable: counted against the candidate and as a stable request.
    const live = (m['requests/stable']?.value ?? 0) + (m['requests/candidate']?.value ?? 0) - (m['errors/candidate']?.value ?? 0);
    assert.equal(live, 90, 'every live request counted once');
    assert.ok((m['errors/candidate']?.value ?? 0) > 0, 'the failing candidate shows errors');
    assert.ok((m['shadow_pairs/route']?.value ?? 0) > 0, 'pairs recorded');
    assert.ok((m['output_tokens/candidate']?.value ?? 0) > 0 && (m['input_tokens/stable']?.value ?? 0) > 0, 'tokens counted');
    assert.ok((m['ttft_ms/candidate']?.histogram?.total ?? 0) > 0, 'first-token times of streamed answers measured');

    const first = byName(await provider.measure('chat', from, mid));
    const second = byName(await provider.measure('chat', mid, to));
    for (const key of ['requests/stable', 'requests/candidate', 'errors/candidate', 'requests/shadow', 'shadow_pairs/route', 'output_tokens/candidate']) {
      assert.equal((first[key]?.value ?? 0) + (second[key]?.value ?? 0), m[key]?.value, `${key}: windows that meet add up`);
    }
  });

  it("scrapes the model servers a host starts, found through the host's target file, and forgets a stopped one", async () => {
    const provider = new PrometheusProvider(promUrl, 'gantry-gateway');
    const options = serverOptionsSchema.parse({ contextSize: 512, threads: 1, parallel: 1, chatTemplateFile: chatTemplate });
    const server = await supervisor.start('d-prom-1', { engine: 'llama.cpp', modelPath: gemmaQ4(), servedName: 'chat', options }, 60_000, () => undefined);
    const selector = 'up{job="gantry-model-servers", deployment="d-prom-1", engine="llama.cpp"}';
    const seen = async (query: string, wanted: (found: number[]) => boolean): Promise<number[]> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const found = (await provider.instant(query, Date.now())).map((s) => s.value);
        if (wanted(found) || Date.now() > deadline) return found;
        await sleep(500);
      }
    };
    assert.deepEqual(await seen(selector, (f) => f[0] === 1), [1], `${server.endpoint} scraped`);
    // llama-server's own figures (--metrics), for server-side rules and the dashboard.
    const llama = await seen('count({job="gantry-model-servers", __name__=~"llamacpp:.+"})', (f) => (f[0] ?? 0) > 0);
    assert.ok((llama[0] ?? 0) > 0, 'llama-server metrics scraped');
    await supervisor.stop('d-prom-1');
    const targets = async (): Promise<string[]> => {
      const response = await request(`${promUrl}/api/v1/targets?state=active`);
      const body = (await response.body.json()) as { data: { activeTargets: { labels: Record<string, string> }[] } };
      return body.data.activeTargets.map((t) => t.labels.deployment ?? t.labels.job ?? '');
    };
    const deadline = Date.now() + 30_000;
    while ((await targets()).includes('d-prom-1') && Date.now() < deadline) await sleep(500);
    assert.ok(!(await targets()).includes('d-prom-1'), 'a stopped server is no longer a target');
  });

  it('refuses a query that does not parse, quoting Prometheus', async () => {
    const provider = new PrometheusProvider(promUrl, 'gantry-gateway');
    await assert.rejects(provider.instant('sum(', Date.now()), /^Error: Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the query \(400\): .*parse error/);
  });

  it('an unknown job is an error naming it, not an empty window', async () => {
    const provider = new PrometheusProvider(promUrl, 'no-such-job');
    await assert.rejects(provider.measure('chat', Date.now() - 60_000, Date.now()), /no target in job "no-such-job".*is it scraping the gateway\?/);
  });

  it('never counts the traffic of before a rollout began in its first window, when Prometheus was away as it began', async () => {
    const provider = new PrometheusProvider(promUrl, 'gantry-gateway');
    const viaGateway = createMetricProvider({ kind: 'gateway', url: gateway.url, token: gateway.token });
    await scrapedAfter(provider);
    await stopProcess(prometheus.pid);
    await send(20); // an earlier rollout's last traffic on the route, after Prometheus's last scrape
    const began = Math.ceil(Date.now() / 1000) * 1000; // this rollout begins while Prometheus is away
    await sleep(began - Date.now() + 10);
    await send(10);
    prometheus = await startPrometheus(promDir, Number(new URL(promUrl).port), join(promDir, 'prometheus.log'));
    await scrapedAfter(provider);
    await send(12);
    await sleep(500); // the last mirrors and their pairs
    const to = Math.ceil((await scrapedAfter(provider)) / 1000) * 1000;
    await sleep(to - Date.now() + 10);

    const live = (m: Record<string, Measurement>): number =>
      (m['requests/stable']?.value ?? 0) + (m['requests/candidate']?.value ?? 0) - (m['errors/candidate']?.value ?? 0);
    const gatewayCount = byName(await viaGateway.measure('chat', began, to));
    assert.equal(live(gatewayCount), 22, 'the gateway counted every request since the rollout began');
    const plain = byName(await provider.measure('chat', began, to));
    assert.equal(live(plain), 42, "read from the last scrape before the gap, the earlier rollout's unscraped traffic counts too");
    const fromRollout = byName(await provider.measure('chat', began, to, began));
    assert.equal(live(fromRollout), 12, 'only what Prometheus scraped since it came back: the 10 of the gap are left out, never the 20 before');
    const pairs = (m: Record<string, Measurement>): number => m['shadow_pairs/route']?.value ?? 0;
    assert.ok(
      pairs(fromRollout) > 0 && pairs(fromRollout) <= pairs(gatewayCount) && pairs(plain) > pairs(gatewayCount),
      `pairs: ${pairs(fromRollout)}, gateway ${pairs(gatewayCount)}, plain ${pairs(plain)}`,
    );
  });

  it('a gateway Prometheus cannot scrape is an error (up=0), then Prometheus gone is an error too', async () => {
    const provider = new PrometheusProvider(promUrl, 'gantry-gateway');
    await gateway.close();
    gatewayClosed = true;
    const down = await scrapedAfter(provider);
    await assert.rejects(provider.measure('chat', down - 10_000, down), /could not scrape the gateway \(job "gantry-gateway", up=0\)/);
    await stopProcess(prometheus.pid);
    await assert.rejects(provider.measure('chat', down - 10_000, down), /^Error: Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
  });
});
