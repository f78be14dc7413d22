// Activities mocked at the seam the design names: same names and types as the real factories, with
// an in-memory gateway and scripted traffic statistics, so workflow tests exercise every path fast.
import type { ControlPlaneActivities, ModelHostActivities, Deployment } from '../../src/activities';
import { routeConfigSchema, type RouteConfig, type Upstream } from '../../src/gateway/route-config';
import { summarise, upstreamOf, type StableTarget } from '../../src/activities/traffic';
import { emptyWindow, type VariantStats } from '../../src/analysis/stats';
import { measurementsOfWindow } from '../../src/analysis/measurements';
import { emptyPairTotals, type EvalFlips, type PairTotals } from '../../src/analysis/quality/quality-totals';
import { record } from '../../src/analysis/histogram';
import { addAnswer } from '../../src/analysis/answer-figures';
import type { QaReport } from '../../src/analysis/qa-gate';
import type { IntervalEntry } from '../../src/analysis/interval-record';
import type { QuantLossResult } from '../../src/adapters/llama-perplexity';
import type { ArtifactNote } from '../../src/activities/artifacts';
import type { RouteConfigInput } from '../../src/gateway/route-config';
import { Context } from '@temporalio/activity';
import { restoredStableLabel } from '../../src/gateway/stable-history';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

/** The fake gateway answers at once: nothing is ever left in flight when a server leaves its route. */
const NOTHING_IN_FLIGHT = { left: 0, waitedMs: 0 };

export interface TrafficShape {
  requests: number;
  errors: number;
  latencyMs: number;
  /** per successful answer; none counted unless set */
  inputTokens?: number;
  outputTokens?: number;
  ttftMs?: number;
}

export interface FakeWorld {
  routes: Map<string, RouteConfig>;
  calls: string[];
  servers: Map<string, Deployment>;
  stopped: string[];
  /** what the gateway reports for each window; called with the route's current state */
  traffic: (
    route: RouteConfig | undefined,
    windowIndex: number,
  ) => { stable: TrafficShape; candidate: TrafficShape; shadow: TrafficShape; pairs: number; breakerOpen?: string };
  /** what the gateway's health probe says of the route's stable; healthy unless set */
  stableProbe: () => { healthy: boolean | null; detail: string };
  /** deployments the host agent has no record of any more (what ensureDeployment reports missing) */
  lostDeployments: Set<string>;
  /** deployments that ensureDeployment finds stopped and restarts */
  stoppedDeployments: Set<string>;
  /** what each scorePairs call finds: per direction, the counts of one batch (none by default) */
  pairBatch: (batchIndex: number) => { shadow: Partial<PairTotals>; canary: Partial<PairTotals>; floor?: Partial<PairTotals>; scored: number };
  pairBatches: number;
  /** the noise floor each route had recorded, as readRouteFloor finds it and recordRouteFloor leaves it */
  floors: Map<string, PairTotals>;
  /** the judge audit's result; the audit fails like a position-biased judge when false */
  judgeAuditPasses: boolean;
  /** judge calls fail (timeout, off-grammar): the audit throws */
  judgeDown: boolean;
  evalFlips: Omit<EvalFlips, 'at' | 'runs'> | null;
  evalRuns: number;
  qaAccuracy: number;
  /** the QA gate's weighted score; the accuracy × 100 unless set */
  qaScore?: number;
  failQuantize?: { message: string; type: string };
  /** what measuring the quantization loss finds */
  quantLoss: QuantLossResult;
  /** what rollouts wrote into artifact records */
  annotations: ArtifactNote[];
  metricsDown: boolean;
  windows: number;
  /** what a custom metric's query finds: its value, or null for no sample */
  metricValue: (name: string, queryIndex: number) => number | null;
  /** what the rollout appended to its interval record */
  intervals: IntervalEntry[];
  /** the custom queries run, as rendered */
  metricQueries: string[];
  /** a custom metric whose query Prometheus refuses at the check before traffic moves */
  badQuery?: string;
  notifications: { event: string; level: string; message: string }[];
  schedulesDeleted: string[];
  /** activities named here stay running (heartbeating) until released */
  hold: Set<'qa' | 'quantize' | 'deploy' | 'eval'>;
  /** activities that have started while held */
  holding: Set<string>;
}

/** Keeps an activity running like a real long one: heartbeats, and honours cancellation. */
async function heldWhile(world: FakeWorld, name: 'qa' | 'quantize' | 'deploy' | 'eval'): Promise<void> {
  if (!world.hold.has(name)) return;
  world.holding.add(name);
  const ctx = Context.current();
  while (world.hold.has(name)) {
    ctx.heartbeat();
    if (ctx.cancellationSignal.aborted) {
      world.holding.delete(name);
      world.calls.push(`${name} cancelled`);
      throw new CancelledFailure(`${name} cancelled`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  world.holding.delete(name);
}

export function healthyTraffic(): FakeWorld['traffic'] {
  return (route) => {
    const candidateShare = (route?.weight ?? 0) / 100;
    const shadowing = (route?.shadowRate ?? 0) > 0;
    return {
      stable: { requests: Math.round(600 * (1 - candidateShare)), errors: 0, latencyMs: 200 },
      candidate: { requests: Math.round(600 * candidateShare), errors: 0, latencyMs: 190 },
      shadow: { requests: shadowing ? 600 : 0, errors: 0, latencyMs: 190 },
      pairs: shadowing ? 600 : 0,
    };
  };
}

export function newWorld(overrides: Partial<FakeWorld> = {}): FakeWorld {
  return {
    routes: new Map(),
    calls: [],
    servers: new Map(),
    stopped: [],
    traffic: healthyTraffic(),
    stableProbe: () => ({ healthy: true, detail: 'answered in 3ms' }),
    lostDeployments: new Set(),
    stoppedDeployments: new Set(),
    pairBatch: () => ({ shadow: {}, canary: {}, scored: 0 }),
    pairBatches: 0,
    floors: new Map(),
    judgeAuditPasses: true,
    judgeDown: false,
    evalFlips: null,
    evalRuns: 0,
    qaAccuracy: 1,
    quantLoss: { measured: true, kldMean: 0.003, kldP99: 0.016, sameTop: 0.946, pplArtifact: 20.01, pplSource: 20, pplRatio: 1.0005 },
    annotations: [],
    metricsDown: false,
    windows: 0,
    metricValue: () => 0,
    metricQueries: [],
    intervals: [],
    notifications: [],
    schedulesDeleted: [],
    hold: new Set(),
    holding: new Set(),
    ...overrides,
  };
}

function variant(shape: TrafficShape): VariantStats {
  const stats: VariantStats = { requests: shape.requests, errors: shape.errors, latency: { counts: {}, total: 0, sumMs: 0 } };
  for (let i = 0; i < shape.requests - shape.errors; i++) {
    record(stats.latency, shape.latencyMs);
    addAnswer(stats, { ttftMs: shape.ttftMs ?? null, inputTokens: shape.inputTokens ?? null, outputTokens: shape.outputTokens ?? null });
  }
  return stats;
}

async function applicationFailure(message: string, type: string): Promise<never> {
  const { ApplicationFailure } = await import('@temporalio/common');
  throw ApplicationFailure.nonRetryable(message, type);
}

export function fakeControlPlane(world: FakeWorld): ControlPlaneActivities {
  const set = (route: string, config: RouteConfigInput): RouteConfig => {
    const full: RouteConfig = routeConfigSchema.parse(config);
    world.routes.set(route, full);
    world.calls.push(`route ${route} weight=${full.weight} shadow=${full.shadowRate} candidate=${full.candidate ? 'yes' : 'no'}`);
    return full;
  };
  return {
    async runQaSuite(input): Promise<QaReport> {
      world.calls.push(`qa ${input.endpoint}${input.target ? ` on ${input.target}` : ''}${input.compareWithRoute ? ` beside ${input.compareWithRoute}` : ''}`);
      await heldWhile(world, 'qa');
      const passed = world.qaAccuracy >= input.gate.minAccuracy;
      const score = world.qaScore ?? world.qaAccuracy * 100;
      const band =
        score >= input.gate.bands.excellent
          ? 'excellent'
          : score >= input.gate.bands.approve
            ? 'approve'
            : score >= input.gate.bands.review
              ? 'review'
              : 'block';
      const decision = !passed || band === 'block' ? 'block' : band === 'review' ? 'review' : 'pass';
      return {
        cases: 10,
        passed: Math.round(world.qaAccuracy * 10),
        errors: 0,
        accuracy: world.qaAccuracy,
        errorRate: 0,
        p95Ms: 100,
        checks: [],
        passedGate: decision !== 'block',
        summary: `accuracy ${world.qaAccuracy * 100}% (min ${input.gate.minAccuracy * 100}%); score ${score} (${band})`,
        failures: [],
        score: { value: score, band, categories: [] },
        decision,
        extraMonitoring: band === 'approve',
        target: input.target ?? null,
      };
    },
    async getRoute({ route }) {
      const current = world.routes.get(route);
      return current ? summarise(route, current) : null;
    },
    async createRoute({ route, stable }) {
      return summarise(route, set(route, { stable: upstreamOfStable(stable) }));
    },
    async setStable({ route, stable }) {
      world.calls.push(`set stable ${route}`);
      const current = world.routes.get(route);
      if (!current) return applicationFailure(`route "${route}" does not exist`, 'GATEWAY_REJECTED');
      return summarise(route, set(route, { ...current, stable: upstreamOfStable(stable) }));
    },
    async setCandidateTraffic({ route, rolloutId, candidate, weight, shadowRate, options }) {
      const current = world.routes.get(route);
      if (!current) return applicationFailure(`route "${route}" does not exist`, 'GATEWAY_REJECTED');
      return summarise(route, set(route, { ...current, ...options, candidate: upstreamOf(candidate, 'candidate'), weight, shadowRate, rolloutId }));
    },
    async detachCandidate({ route, rolloutId }) {
      const current = world.routes.get(route);
      if (!current || (current.rolloutId && current.rolloutId !== rolloutId)) return current ? summarise(route, current) : null;
      const { candidate: _c, rolloutId: _r, ...rest } = current;
      return summarise(route, set(route, { ...rest, weight: 0, shadowRate: 0 }));
    },
    async routeHealth({ route }) {
      const current = world.routes.get(route);
      if (!current) return applicationFailure(`route "${route}" does not exist`, 'GATEWAY_REJECTED');
      const shape = world.traffic(current, world.windows);
      return { breakerOpen: shape.breakerOpen ?? null, stable: world.stableProbe(), candidate: current.candidate ? { healthy: true, detail: 'ok' } : null };
    },
    async promoteCandidate({ route }) {
      const current = world.routes.get(route) as RouteConfig;
      const { candidate, rolloutId: _r, ...rest } = current;
      set(route, { ...rest, stable: candidate as Upstream, weight: 0, shadowRate: 0 });
      return { previousStable: { deployment: current.stable.deployment, endpoint: current.stable.url }, drained: NOTHING_IN_FLIGHT };
    },
    async restoreStable({ route, rolloutId, stable }) {
      const current = world.routes.get(route) as RouteConfig;
      const { candidate: _c, rolloutId: _r, ...rest } = current;
      const upstream = { url: stable.endpoint, deployment: { host: stable.host, id: stable.deploymentId }, label: restoredStableLabel(rolloutId) };
      return { ...summarise(route, set(route, { ...rest, stable: upstream, weight: 0, shadowRate: 0 })), drained: NOTHING_IN_FLIGHT };
    },
    async sendNotification({ payload }) {
      world.notifications.push({ event: payload.event, level: payload.level, message: payload.message });
      return { status: 200 };
    },
    async deleteRolloutSchedules({ rolloutId }) {
      world.schedulesDeleted.push(rolloutId);
      return { deleted: [] };
    },
    async scorePairs({ cursor }) {
      const batch = world.pairBatch(world.pairBatches++);
      const totals = (partial: Partial<PairTotals>): PairTotals => ({ ...emptyPairTotals(), ...partial });
      world.calls.push(`score from ${cursor ?? 'start'}`);
      return {
        cursor: `c${world.pairBatches}`,
        scored: batch.scored,
        totals: { shadow: totals(batch.shadow), canary: totals(batch.canary), floor: totals(batch.floor ?? {}) },
        judgeCalls: 0,
      };
    },
    async readRouteFloor({ route }) {
      return world.floors.get(route) ?? null;
    },
    async recordRouteFloor({ route, floor }) {
      world.calls.push(`floor ${route} ${floor.pairs}`);
      world.floors.set(route, floor);
    },
    async auditJudge({ judge }) {
      world.calls.push(`audit ${judge.identity}`);
      if (world.judgeDown) throw new Error('the judge timed out');
      const passed = world.judgeAuditPasses;
      return {
        passed,
        tieRate: 1,
        lossRate: passed ? 1 : 0.3,
        items: 40,
        identity: judge.identity,
        templateHash: 'abc',
        summary: passed ? 'identical answers tied 12/12, corrupted answers lost 28/28' : 'corrupted answers lost 8/28 (29%, min 80%)',
      };
    },
    async runEvalFlips() {
      world.evalRuns += 1;
      await heldWhile(world, 'eval');
      if (!world.evalFlips) throw new Error('no eval set in this world');
      return { ...world.evalFlips, at: 0, runs: 1 };
    },
    async collectMeasurements({ route, fromMs, toMs }) {
      if (world.metricsDown) throw new Error('metric store unreachable');
      const shape = world.traffic(world.routes.get(route), world.windows++);
      return measurementsOfWindow({
        ...emptyWindow(fromMs, toMs),
        stable: variant(shape.stable),
        candidate: variant(shape.candidate),
        shadow: variant(shape.shadow),
        pairs: shape.pairs,
      });
    },
    async queryMetric({ name, query }) {
      world.metricQueries.push(query);
      if (world.metricsDown) throw new Error('Prometheus unreachable');
      return { value: world.metricValue(name, world.metricQueries.length) };
    },
    async recordInterval({ entry }) {
      world.intervals.push(entry);
    },
    async checkMetricSources({ queries }) {
      world.calls.push(`checkMetricSources:${queries.map((q) => q.name).join(',')}`);
      if (world.badQuery)
        throw ApplicationFailure.nonRetryable(`analysis.metrics ${world.badQuery}: Prometheus refused the query (400): parse error`, 'INVALID_SPEC');
    },
  };
}

function upstreamOfStable(stable: StableTarget): Upstream {
  return 'deployment' in stable ? upstreamOf(stable.deployment, stable.label) : { url: stable.endpoint, apiKey: stable.apiKey, label: stable.label };
}

export function fakeHost(world: FakeWorld, host = 'local'): ModelHostActivities {
  return {
    async inspectModel({ path }) {
      return { path, sha256: 'a'.repeat(64), sizeBytes: 1000, ggufVersion: 3, quantType: null };
    },
    async quantizeModel({ source, type, rolloutId }) {
      world.calls.push(`quantize ${source} ${type}`);
      await heldWhile(world, 'quantize');
      if (world.failQuantize) return applicationFailure(world.failQuantize.message, world.failQuantize.type);
      const path = `/artifacts/${rolloutId}/model.${type}.gguf`;
      return { path, sha256: 'b'.repeat(64), sizeBytes: 500, ggufVersion: 3, quantType: type, record: `${path}.gantry.json`, sourceGguf: source };
    },
    async measureQuantizationLoss({ artifact }) {
      world.calls.push(`measure loss ${artifact}`);
      return world.quantLoss;
    },
    async annotateArtifact(note) {
      world.annotations.push(note);
      return { annotated: true };
    },
    async startModelServer({ deploymentId, modelPath }) {
      world.calls.push(`start ${deploymentId}`);
      if (deploymentId.endsWith('-candidate')) await heldWhile(world, 'deploy');
      const deployment = { host, deploymentId, endpoint: `http://127.0.0.1:${9000 + world.servers.size}/v1`, pid: 1000 + world.servers.size, modelPath };
      world.servers.set(deploymentId, deployment);
      return deployment;
    },
    async ensureDeployment({ deploymentId }) {
      world.calls.push(`ensure ${deploymentId}`);
      const deployment = world.servers.get(deploymentId);
      if (!deployment || world.lostDeployments.has(deploymentId))
        return { state: 'missing', detail: `host ${host} has no record of deployment ${deploymentId}` };
      if (world.stoppedDeployments.delete(deploymentId)) {
        const restarted = { ...deployment, endpoint: `http://127.0.0.1:${9500 + world.servers.size}/v1`, pid: deployment.pid + 1 };
        world.servers.set(deploymentId, restarted);
        return { state: 'restored', deployment: restarted, detail: `restarted at ${restarted.endpoint}` };
      }
      return { state: 'healthy', deployment, detail: `serving at ${deployment.endpoint}` };
    },
    async stopModelServer({ deploymentId }) {
      world.calls.push(`stop ${deploymentId}`);
      world.stopped.push(deploymentId);
      return { stopped: world.servers.delete(deploymentId) };
    },
  };
}
