// Driving real rollouts on the real stack: start one with the CLI, wait for a phase, replay live
// traffic through the gateway while it runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../src/workflows/messages';
import type { RolloutStatus } from '../../src/workflows/state/status-view';
import type { RolloutResult } from '../../src/workflows/rollout';
import { parsePrompts, replay, type ReplayReport } from '../../src/cli/traffic/replay';
import { REPO_ROOT } from '../../src/config/toolchain';
import type { RealStack } from './real-stack';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const prompts = (file: string) => parsePrompts(readFileSync(join(REPO_ROOT, 'configs/prompts', file), 'utf8'), file);

/** Polls the rollout's status until `done`; fails if it ends first or the time runs out. */
export async function waitForStatus(
  client: Client,
  id: string,
  done: (s: RolloutStatus) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<RolloutStatus> {
  const handle = client.workflow.getHandle(id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    if (done(status)) return status;
    if (status.outcome) throw new Error(`rollout ended ${status.outcome} before ${what}: ${status.reason}`);
    if (Date.now() > deadline) throw new Error(`rollout still in ${status.phase}, not ${what}`);
    await sleep(250);
  }
}

export const waitForPhase = (client: Client, id: string, phase: RolloutStatus['phase'], timeoutMs = 120_000): Promise<RolloutStatus> =>
  waitForStatus(client, id, (s) => s.phase === phase, phase, timeoutMs);

/** Starts a rollout with the real CLI, sends live traffic from the shadow phase on, returns the result. */
export async function rolloutWithTraffic(
  stack: RealStack,
  client: Client,
  id: string,
  specFile: string,
  promptFile: string,
  trafficMs: number,
  route = 'chat',
): Promise<{ result: RolloutResult; traffic: ReplayReport }> {
  const start = await stack.cli(['rollout', 'start', specFile, '--id', id, '--json']);
  assert.equal(start.exitCode, 0, String(start.stderr));
  assert.equal((JSON.parse(String(start.stdout)) as { rolloutId: string }).rolloutId, id);
  await waitForPhase(client, id, 'Shadow');
  const traffic = await replay(
    prompts(promptFile),
    { route, rate: 2, durationMs: trafficMs, maxInFlight: 4, maxTokens: 8, baseUrl: stack.gatewayUrl },
    () => undefined,
  );
  const result = (await client.workflow.getHandle(id).result()) as RolloutResult;
  return { result, traffic };
}

/** Live traffic through the gateway until `done` settles, however long the rollout takes. */
export async function trafficUntil(gatewayUrl: string, done: Promise<unknown>, promptFile = 'chat.jsonl'): Promise<void> {
  let over = false;
  void done.finally(() => (over = true)).catch(() => undefined);
  while (!over)
    await replay(prompts(promptFile), { route: 'chat', rate: 2, durationMs: 5_000, maxInFlight: 4, maxTokens: 16, baseUrl: gatewayUrl }, () => undefined);
}
