// One rollout of the chaos suite on the real stack with the real model: live traffic through the
// gateway, one fault at its planned point, the stack brought back with `dev up` (which starts only
// what is missing), and what a user and an operator would check afterwards.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { compressedSpec, REAL_STACK_PROMOTE_RULES, writeSpec } from '../helpers/real-models';
import { prompts } from '../helpers/real-rollout-driver';
import type { RealStack } from '../helpers/real-stack';
import { expectedOutcome, type FaultKind, type PlannedRollout } from './plan';
import { devStatus, devUp, hostDataDir, type ComponentName } from '../../src/stack/dev-stack';
import { pidsMatching } from '../../src/stack/find-processes';
import { isAlive } from '../../src/hosts/process-control';
import { replay } from '../../src/cli/traffic/replay';
import { statusQuery } from '../../src/workflows/messages';
import type { RolloutStatus } from '../../src/workflows/state/status-view';
import type { RolloutResult } from '../../src/workflows/rollout';
import type { ServerRecord } from '../../src/hosts/server-supervisor';
import type { PairDisk } from './pair-disk';

export interface ChaosRow {
  index: number;
  rolloutId: string;
  fault: FaultKind;
  phase: string;
  outcome: string;
  /** the rollout's own reason for its outcome */
  reason: string;
  expected: string;
  /** llama-server processes running that no host record accounts for */
  orphans: number;
  /** times the candidate's server was started (1 expected, and once more per revival) */
  candidateStarts: number;
  /** times the host agent brought the candidate's server back after it died on its own */
  candidateRevivals: number;
  /** pairs the analysis counted as written that the pair store does not have */
  pairsLost: number;
  /** requests the gateway answered with an error (5xx/4xx) */
  userErrors: number;
  /** requests that could not reach the gateway at all (only while it was down) */
  gatewayDown: number;
  /** requests the stable failed while its server was down (no fallback covers the stable), kill-stable-server only */
  stableDown: number;
  ok: boolean;
  detail: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
type ProcessFault = Exclude<FaultKind, 'kill-stable-server' | 'kill-candidate-server' | 'disk-full'>;
/** The processes each fault kills at once (kill-control-plane: all but Prometheus and the model servers). */
const FAULT_TARGETS: Record<ProcessFault, ComponentName[]> = {
  'kill-orchestrator': ['orchestrator'],
  'kill-host-agent': ['host-agent'],
  'kill-gateway': ['gateway'],
  'kill-temporal': ['temporal'],
  'kill-control-plane': ['orchestrator', 'host-agent', 'gateway', 'temporal'],
  'metrics-down': ['prometheus'],
  'metrics-outage': ['prometheus'],
};
/**
 * How long the component stays down before `dev up`: the metric source long enough for Error
 * windows, or (an outage) longer than the 30 s canary, so that its evaluation finds no evidence.
 */
const DOWN_MS: Record<FaultKind, number> = {
  'kill-orchestrator': 2_000,
  'kill-host-agent': 2_000,
  'kill-gateway': 2_000,
  'kill-temporal': 3_000,
  'kill-control-plane': 3_000,
  'metrics-down': 12_000,
  'metrics-outage': 40_000,
  'kill-stable-server': 0, // the host agent brings it back by itself
  'kill-candidate-server': 0,
  'disk-full': 12_000,
};

/** The rollout's status, asked again while Temporal is briefly away. */
async function statusOf(stack: RealStack, id: string): Promise<RolloutStatus | undefined> {
  try {
    return await stack.client.workflow.getHandle(id).query(statusQuery);
  } catch {
    return undefined;
  }
}

async function until(stack: RealStack, id: string, done: (s: RolloutStatus) => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await statusOf(stack, id);
    if (status && (done(status) || status.outcome)) return;
    if (Date.now() > deadline) throw new Error(`${id}: no ${what} in ${timeoutMs / 1000}s (phase ${status?.phase ?? 'unknown'})`);
    await sleep(250);
  }
}

async function result(stack: RealStack, id: string, timeoutMs: number): Promise<RolloutResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await stack.client.workflow.getHandle(id).result()) as RolloutResult;
    } catch (error) {
      // Temporal restarting under the call: ask again.
      if (Date.now() > deadline) throw error;
      await sleep(1_000);
    }
  }
}

/**
 * Kills a model server under load, the route's stable (the one server that is not this rollout's
 * candidate) or the candidate, and waits for its host agent to bring it back.
 */
async function killModelServer(stack: RealStack, rolloutId: string, which: 'stable' | 'candidate'): Promise<string> {
  const candidateId = `${rolloutId}-candidate`;
  const victim = servers(stack).find((s) => (which === 'candidate') === (s.deploymentId === candidateId));
  if (!victim || !isAlive(victim.pid)) return `no ${which} server running`;
  process.kill(victim.pid, 'SIGKILL');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const now = servers(stack).find((s) => s.deploymentId === victim.deploymentId);
    if (now && now.pid !== victim.pid && (now.revivals ?? 0) > 0)
      return `killed ${which} ${victim.deploymentId} (pid ${victim.pid}); its host agent brought it back`;
    // The rollout may end (and stop its candidate) while its server is down.
    if (!now && which === 'candidate') return `killed candidate ${victim.deploymentId} (pid ${victim.pid}); the rollout stopped it before its revival`;
    await sleep(250);
  }
  return `killed ${which} ${victim.deploymentId} (pid ${victim.pid}); NOT brought back in 60s`;
}

/** Pairs the gateway's store refused so far (its own counter), so a row shows that a full disk bit. */
async function refusedPairs(stack: RealStack): Promise<number> {
  const text = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
  const line = /^gantry_gateway_shadow_pairs_total\{[^}]*outcome="failed"[^}]*\} (\d+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

/** Fills the disk under the pair store, holds it full, then frees it. */
async function fillPairDisk(stack: RealStack, disk: PairDisk | string): Promise<string> {
  if (typeof disk === 'string') return `no disk to fill: ${disk}`;
  const refusedBefore = await refusedPairs(stack);
  const bytes = disk.fill();
  await sleep(DOWN_MS['disk-full']);
  const refused = (await refusedPairs(stack)) - refusedBefore;
  disk.free();
  return `filled the pair disk (${(bytes / 1e6).toFixed(1)} MB more) for ${DOWN_MS['disk-full'] / 1000}s, then freed it; the store refused ${refused} pairs meanwhile`;
}

async function injectFault(stack: RealStack, fault: FaultKind, rolloutId: string, disk: PairDisk | string): Promise<string> {
  if (fault === 'kill-stable-server') return killModelServer(stack, rolloutId, 'stable');
  if (fault === 'kill-candidate-server') return killModelServer(stack, rolloutId, 'candidate');
  if (fault === 'disk-full') return fillPairDisk(stack, disk);
  const targets = FAULT_TARGETS[fault];
  const running = (await devStatus(stack.config)).filter((p) => targets.includes(p.name) && p.pid);
  if (running.length === 0) return `${targets.join(', ')} not running`;
  for (const target of running) process.kill(target.pid as number, 'SIGKILL');
  await sleep(DOWN_MS[fault]);
  const lines: string[] = [];
  await devUp(stack.config, (line) => lines.push(line));
  const started = lines.filter((l) => l.startsWith('starting')).map((l) => l.replace(/^starting /, '').split(' ')[0]);
  const killed = running.map((p) => `${p.name} (pid ${String(p.pid)})`).join(', ');
  return `killed ${killed}; dev up started ${started.join(', ') || 'nothing'}`;
}

function servers(stack: RealStack): ServerRecord[] {
  const file = join(hostDataDir(stack.config), 'servers.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ServerRecord[]) : [];
}

/** Where a process writes its output: a model server of this stack logs under the host's data folder. */
function outputOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/fd/1`);
  } catch {
    return '';
  }
}

/** Model servers this stack's host agent started that no record accounts for (nobody would ever stop them). */
function orphanServers(stack: RealStack): number {
  const recorded = new Set(servers(stack).map((s) => s.pid));
  const ours = pidsMatching((args) => (args[0] ?? '').endsWith('llama-server')).filter((pid) => outputOf(pid).startsWith(hostDataDir(stack.config)));
  return ours.filter((pid) => isAlive(pid) && !recorded.has(pid)).length;
}

function startsOf(stack: RealStack, deploymentId: string): number {
  const log = join(hostDataDir(stack.config), 'logs', `${deploymentId}.log`);
  return existsSync(log) ? (readFileSync(log, 'utf8').match(/listening on http:\/\//g) ?? []).length : 0;
}

/** Revivals of a deployment, as its host agent logged them. */
function revivalsOf(stack: RealStack, deploymentId: string): number {
  const log = join(stack.config.stateDir, 'logs', 'host-agent.log');
  if (!existsSync(log)) return 0;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"deployment":"${deploymentId}"`) && line.includes('brought back')).length;
}

async function storedPairs(stack: RealStack, route: string, rolloutId: string): Promise<number> {
  let count = 0;
  let after: string | null = null;
  for (;;) {
    const page = await stack.gateway.pairRange(route, rolloutId, after, 1000);
    count += page.pairs.length;
    if (page.pairs.length === 0 || page.next === after) return count;
    after = page.next;
  }
}

/** `disk`: the disk under the pair store, or why there is none (the disk-full fault needs one). */
export async function chaosRollout(stack: RealStack, planned: PlannedRollout, seed: number, disk: PairDisk | string = 'not mounted'): Promise<ChaosRow> {
  const id = `chaos-${seed}-${planned.index}`;
  const route = 'chaos';
  const spec = compressedSpec(route, {
    name: id,
    qa: undefined,
    shadow: { duration: '12s', sampleRate: 1, minPairs: 3 },
    canary: {
      steps: [
        { weight: 50, duration: '20s' },
        { weight: 100, duration: '10s' },
      ],
    },
    analysis: {
      interval: '3s',
      // The metric source is down for up to 40 s: the rollout must not pause for it (Error windows,
      // or a shadow phase or canary extended for want of evidence, 12 s and 10 s at a time).
      consecutiveErrorLimit: 50,
      inconclusiveLimit: 10,
      // A model server the host agent brings back is away for a few seconds (up to ~6 of the
      // candidate's requests fail): at most two windows, and under half of the breaker's first 20
      // requests. A bad candidate still fails more. (With minRequests 10, a candidate killed early
      // in a step tripped the breaker: 6 of its first 10 requests failed.)
      failureLimit: 3,
      rollback: { maxErrorRate: 0.2, minRequests: 3 },
      promote: REAL_STACK_PROMOTE_RULES,
    },
    gateway: { breaker: { window: 40, maxErrorRate: 0.5, minRequests: 20 } },
  });
  // The bad candidate: a context window too small for the long support prompts in the traffic.
  const server = planned.candidate === 'bad' ? { ...spec.candidate.server, contextSize: 256 } : spec.candidate.server;
  spec.candidate = { ...spec.candidate, quantize: undefined, server };
  const start = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', id]);
  if (start.exitCode !== 0) throw new Error(`${id}: rollout start failed: ${String(start.stderr)}`);

  await until(stack, id, (s) => s.phase === 'Shadow', 'shadow phase', 180_000);
  const stop = new AbortController();
  const traffic = replay(
    prompts('quickstart-mix.jsonl'),
    { route, rate: 2, durationMs: 600_000, maxInFlight: 4, maxTokens: 8, baseUrl: stack.gatewayUrl, signal: stop.signal },
    () => undefined,
  );
  let detail: string;
  try {
    await until(stack, id, (s) => s.phase === planned.phase, `${planned.phase} phase`, 180_000);
    const status = await statusOf(stack, id);
    if (status?.outcome) detail = `ended before the fault (${status.outcome})`;
    else {
      await sleep(planned.delayMs);
      detail = await injectFault(stack, planned.fault, id, disk);
    }
  } catch (error) {
    detail = (error as Error).message;
  }
  let outcome = 'none';
  let reason = '';
  let status: RolloutStatus | undefined;
  try {
    const ended = await result(stack, id, 300_000);
    outcome = ended.outcome;
    reason = ended.reason;
    status = ended.status;
  } catch (error) {
    detail += `; ${(error as Error).message}`;
  } finally {
    stop.abort();
  }
  const report = await traffic;
  const unknown = report.errorsByVariant.unknown ?? 0;
  const stableDown = planned.fault === 'kill-stable-server' ? (report.errorsByVariant.stable ?? 0) : 0;
  const stored = await storedPairs(stack, route, id).catch(() => 0);
  const row: ChaosRow = {
    index: planned.index,
    rolloutId: id,
    fault: planned.fault,
    phase: planned.phase,
    outcome,
    reason,
    expected: expectedOutcome(planned),
    orphans: orphanServers(stack),
    candidateStarts: startsOf(stack, `${id}-candidate`),
    candidateRevivals: revivalsOf(stack, `${id}-candidate`),
    pairsLost: Math.max(0, (status?.shadowTotals.pairs ?? 0) + (status?.canaryTotals.pairs ?? 0) - stored),
    userErrors: report.errors - unknown - stableDown,
    gatewayDown: unknown,
    stableDown,
    ok: false,
    detail,
  };
  row.ok =
    row.outcome === row.expected && row.orphans === 0 && row.candidateStarts === 1 + row.candidateRevivals && row.pairsLost === 0 && row.userErrors === 0;
  return row;
}

export function formatTable(rows: readonly ChaosRow[]): string {
  const header = ['#', 'fault', 'phase', 'outcome', 'expected', 'orphans', 'starts', 'revived', 'pairs lost', 'user errors', 'gw down', 'stable down', 'ok'];
  const cells = rows.map((r) => [
    String(r.index),
    r.fault,
    r.phase,
    r.outcome,
    r.expected,
    String(r.orphans),
    String(r.candidateStarts),
    String(r.candidateRevivals),
    String(r.pairsLost),
    String(r.userErrors),
    String(r.gatewayDown),
    String(r.stableDown),
    r.ok ? 'ok' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string => c.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}
