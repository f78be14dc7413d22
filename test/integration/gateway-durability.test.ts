// A shadow pair the gateway acknowledged as written survives `kill -9` of the gateway: the gateway
// process runs on its own, under mirrored load, and is killed without warning.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startGatewayProcess } from '../helpers/gateway-process';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import type { ShadowPair } from '../../src/gateway/pair-store';
import { metricValue } from '../helpers/gateway-metrics';

let upstream: MockUpstream;
before(async () => {
  upstream = await startMockUpstream({ delayMs: 5 });
});
after(async () => {
  await upstream?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function writtenPairs(gatewayUrl: string): Promise<number> {
  return (await metricValue(gatewayUrl, 'gantry_gateway_shadow_pairs_total{route="chat",outcome="written"}')) ?? 0;
}

function pairsOnDisk(dataDir: string): ShadowPair[] {
  const dir = join(dataDir, 'pairs');
  const pairs: ShadowPair[] = [];
  for (const name of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      try {
        if (line) pairs.push(JSON.parse(line) as ShadowPair);
      } catch {
        // the line being written when the process died
      }
    }
  }
  return pairs;
}

describe('pair durability', () => {
  it('keeps every acknowledged pair when the gateway is killed with SIGKILL under load, and appends after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-durable-'));
    const gateway = await startGatewayProcess({ GANTRY_GATEWAY_DATA_DIR: dataDir });
    await gateway.admin.setRoute('chat', { stable: { url: upstream.url }, candidate: { url: upstream.url }, weight: 0, shadowRate: 1 });

    let sending = true;
    const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'capital of France?' }] });
    const client = async (): Promise<void> => {
      while (sending) {
        try {
          const response = await request(`${gateway.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
          await response.body.dump();
        } catch {
          return; // the gateway is gone
        }
      }
    };
    const clients = Array.from({ length: 8 }, () => client());

    let acknowledged = 0;
    for (let i = 0; i < 100 && acknowledged < 200; i++) {
      await sleep(100);
      acknowledged = await writtenPairs(gateway.url);
    }
    assert.ok(acknowledged >= 200, `pairs acknowledged before the kill: ${acknowledged}`);
    // Still under load: mirrors in flight and pairs waiting for their batch when the process dies.
    acknowledged = await writtenPairs(gateway.url);
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    sending = false;
    await Promise.all(clients);

    const survived = pairsOnDisk(dataDir);
    assert.ok(survived.length >= acknowledged, `${survived.length} pairs on disk, ${acknowledged} acknowledged`);
    assert.equal(new Set(survived.map((p) => p.requestId)).size, survived.length, 'no pair written twice');

    const restarted = await startGatewayProcess({ GANTRY_GATEWAY_DATA_DIR: dataDir });
    try {
      assert.equal((await restarted.admin.getRoute('chat'))?.shadowRate, 1, 'the route came back');
      const response = await request(`${restarted.url}/v1/chat/completions`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-request-id': 'after-restart' },
      });
      await response.body.dump();
      let latest = await restarted.admin.recentPairs('chat', 1);
      for (let i = 0; i < 40 && latest[0]?.requestId !== 'after-restart'; i++) {
        await sleep(100);
        latest = await restarted.admin.recentPairs('chat', 1);
      }
      assert.equal(latest[0]?.requestId, 'after-restart');
      assert.equal(pairsOnDisk(dataDir).length, survived.length + 1, 'the new pair is readable after the cut-off line');
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
  });
});
