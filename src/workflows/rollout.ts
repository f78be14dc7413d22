// rolloutWorkflow: one rollout, QA gate → quantize → deploy → shadow → canary steps → evaluation →
// promote, or rollback on any breach, failure or operator request. Deterministic: time comes from
// the workflow clock, every effect is an activity.
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  setHandler,
  sleep,
  ActivityFailure,
} from '@temporalio/workflow';
import type { RolloutSpec } from '../config/spec';
import { judgeInterval } from '../analysis/interval-verdict';
import { decidePromotion } from '../analysis/promotion-decision';
import { mergeWindows, type WindowStats } from '../analysis/stats';
import type { Upstream } from '../gateway/route-config';
import type { Deployment } from '../activities/model-host';
import { rollbackSignal, statusQuery, type RollbackRequest } from './messages';
import { initialStatus, note, recordVerdict, type Outcome, type Phase, type RolloutStatus } from './rollout-state';
import { cleanupTraffic, hostActivities, hostCleanup, metrics, qaActivities, traffic } from './activity-proxies';

export interface RolloutInput {
  rolloutId: string;
  spec: RolloutSpec;
  /** who started it, for the audit log */
  startedBy: string;
}

export interface RolloutResult {
  outcome: Outcome;
  reason: string;
  status: RolloutStatus;
}

/** How the pipeline ended when nothing threw: promote, or roll back for a measured reason. */
type Decision = { promote: true } | { promote: false; reason: string };

export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutResult> {
  const { spec, rolloutId } = input;
  const status = initialStatus(rolloutId, spec, Date.now());
  status.audit.push({ at: Date.now(), by: input.startedBy, action: 'start', reason: `rollout of ${spec.candidate.model} on route ${spec.route}` });
  setHandler(statusQuery, () => status);

  const pipeline = new CancellationScope();
  let operatorRollback: RollbackRequest | undefined;
  setHandler(rollbackSignal, (request) => {
    if (status.outcome !== null || operatorRollback) return;
    const reason = typeof request?.reason === 'string' && request.reason.trim() ? request.reason.trim() : 'operator requested rollback';
    const by = typeof request?.by === 'string' && request.by ? request.by : 'unknown';
    operatorRollback = { reason, by };
    status.audit.push({ at: Date.now(), by, action: 'rollback', reason });
    pipeline.cancel();
  });

  let decision: Decision;
  try {
    decision = await pipeline.run(() => runPipeline(spec, rolloutId, status));
  } catch (error) {
    // The operator's rollback wins whatever the cancelled pipeline threw on its way out.
    if (operatorRollback) {
      await CancellationScope.nonCancellable(() => rollback(spec, status, `operator rollback by ${operatorRollback?.by}: ${operatorRollback?.reason}`));
      return finish(status, 'RolledBack');
    }
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => teardownCandidate(spec, status, 'Cancelled'));
      status.outcome = 'Cancelled';
      status.reason = 'the workflow was cancelled';
      throw error;
    }
    const { message, type } = describeFailure(error);
    log.error('rollout pipeline failed', { rolloutId, type, message });
    await CancellationScope.nonCancellable(() => teardownCandidate(spec, status, 'Failed'));
    status.outcome = 'Failed';
    status.reason = message;
    status.failureType = type;
    throw ApplicationFailure.create({ message, type: type ?? 'PIPELINE_FAILED', nonRetryable: true, details: [status] });
  }

  if (decision.promote) {
    await CancellationScope.nonCancellable(() => promote(spec, status));
    return finish(status, 'Promoted');
  }
  await CancellationScope.nonCancellable(() => rollback(spec, status, decision.reason));
  return finish(status, 'RolledBack');
}

function finish(status: RolloutStatus, outcome: Outcome): RolloutResult {
  status.phase = outcome;
  status.outcome = outcome;
  status.waitUntil = null;
  note(status, Date.now(), `${outcome}: ${status.reason ?? ''}`);
  return { outcome, reason: status.reason ?? '', status };
}

function enter(status: RolloutStatus, phase: Phase, message: string): void {
  status.phase = phase;
  note(status, Date.now(), message);
  log.info(message, { rolloutId: status.rolloutId, phase });
}

/** The cause of a pipeline failure: the activity's failure type and message, not a stack of wrappers. */
function describeFailure(error: unknown): { message: string; type: string | null } {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof ApplicationFailure) return { message: current.message, type: current.type ?? null };
  return { message: current instanceof Error ? current.message : String(current), type: null };
}

function upstreamOf(deployment: Deployment, label: string): Upstream {
  return { url: deployment.endpoint, deployment: { host: deployment.host, id: deployment.deploymentId }, label };
}

async function runPipeline(spec: RolloutSpec, rolloutId: string, status: RolloutStatus): Promise<Decision> {
  const candidateHost = hostActivities(spec.candidate.host, spec.candidate.readyTimeout);
  const serve = (deploymentId: string, modelPath: string): Promise<Deployment> =>
    candidateHost.startModelServer({
      deploymentId,
      modelPath,
      engine: spec.candidate.engine,
      servedName: spec.route,
      options: spec.candidate.server,
      readyTimeoutMs: spec.candidate.readyTimeout,
    });

  // QA gate: the candidate as handed over, served on its host just long enough to run the suite.
  if (spec.qa) {
    const qa = spec.qa;
    enter(status, 'QA', `QA gate: ${qa.suite}`);
    const qaServer = await serve(`${rolloutId}-qa`, spec.candidate.model);
    try {
      status.qa = await qaActivities(qa.requestTimeout + 30_000).runQaSuite({
        endpoint: qaServer.endpoint,
        model: spec.route,
        suitePath: qa.suite,
        maxTokens: qa.maxTokens,
        stop: qa.stop,
        requestTimeoutMs: qa.requestTimeout,
        gate: qa.gate,
      });
    } finally {
      await CancellationScope.nonCancellable(() => hostCleanup(spec.candidate.host).stopModelServer({ deploymentId: qaServer.deploymentId }));
    }
    note(status, Date.now(), `QA: ${status.qa.passed}/${status.qa.cases} passed; ${status.qa.summary}`);
    if (!status.qa.passedGate) return { promote: false, reason: `QA gate failed: ${status.qa.summary}` };
  }

  if (spec.candidate.quantize) {
    enter(status, 'Quantize', `quantize ${spec.candidate.model} to ${spec.candidate.quantize.type} on ${spec.candidate.host}`);
    status.artifact = await candidateHost.quantizeModel({ rolloutId, source: spec.candidate.model, type: spec.candidate.quantize.type });
  } else {
    status.artifact = await candidateHost.inspectModel({ path: spec.candidate.model });
  }
  note(status, Date.now(), `artifact ${status.artifact.path} (${status.artifact.sizeBytes} bytes, sha256 ${status.artifact.sha256.slice(0, 12)}…)`);

  enter(status, 'Deploy', `deploy the candidate on ${spec.candidate.host}`);
  await ensureRoute(spec, rolloutId);
  status.candidateDeploymentId = `${rolloutId}-candidate`;
  status.candidate = await serve(status.candidateDeploymentId, status.artifact.path);
  note(status, Date.now(), `candidate serving at ${status.candidate.endpoint}`);
  const candidate = upstreamOf(status.candidate, `${rolloutId} candidate`);
  const setTraffic = async (weight: number, shadowRate: number): Promise<void> => {
    await traffic.setCandidateTraffic({ route: spec.route, rolloutId, candidate, weight, shadowRate });
    status.weight = weight;
    status.shadowRate = shadowRate;
  };
  await setTraffic(0, 0);

  if (spec.shadow) {
    enter(status, 'Shadow', `shadow ${Math.round(spec.shadow.sampleRate * 100)}% of traffic for ${spec.shadow.duration}ms`);
    await setTraffic(0, spec.shadow.sampleRate);
    const breach = await observe(spec, status, spec.shadow.duration, 'shadow');
    if (breach) return { promote: false, reason: `shadow analysis: ${breach}` };
    if (status.shadowTotals.pairs < spec.shadow.minPairs) {
      return { promote: false, reason: `shadow phase recorded ${status.shadowTotals.pairs} pairs, fewer than the ${spec.shadow.minPairs} required` };
    }
  }

  for (const [index, step] of spec.canary.steps.entries()) {
    status.step = index;
    enter(status, 'Canary', `canary step ${index + 1}/${spec.canary.steps.length}: ${step.weight}% for ${step.duration}ms`);
    await setTraffic(step.weight, 0);
    const breach = await observe(spec, status, step.duration, 'canary');
    if (breach) return { promote: false, reason: `canary step ${index + 1} (${step.weight}%): ${breach}` };
  }

  enter(status, 'Evaluation', 'evaluate the whole canary against the promotion rules');
  status.evaluation = decidePromotion(status.canaryTotals.stable, status.canaryTotals.candidate, spec.analysis.promote);
  if (!status.evaluation.promote) return { promote: false, reason: `evaluation: ${status.evaluation.reasons.join('; ')}` };
  status.reason = `evaluation passed: ${status.evaluation.reasons.join('; ')}`;
  return { promote: true };
}

/** Makes sure the route exists; a route's first rollout brings up its stable from the spec. */
async function ensureRoute(spec: RolloutSpec, rolloutId: string): Promise<void> {
  if (await traffic.getRoute({ route: spec.route })) return;
  if (!spec.stable) {
    throw ApplicationFailure.nonRetryable(`route "${spec.route}" does not exist on the gateway and the spec names no stable`, 'INVALID_SPEC');
  }
  if ('endpoint' in spec.stable) {
    await traffic.createRoute({ route: spec.route, stable: { url: spec.stable.endpoint, apiKey: spec.stable.apiKey, label: 'stable (external)' } });
    return;
  }
  const stable = await hostActivities(spec.stable.host).startModelServer({
    deploymentId: `${spec.route}-stable-${rolloutId}`,
    modelPath: spec.stable.model,
    engine: spec.stable.engine,
    servedName: spec.route,
    options: spec.stable.server,
    readyTimeoutMs: 120_000,
  });
  await traffic.createRoute({ route: spec.route, stable: upstreamOf(stable, `stable ${spec.stable.model}`) });
}

/**
 * Waits `durationMs`, judging the candidate every analysis interval. Returns a breach reason when
 * the failure limit is reached, undefined when the wait ends healthy.
 */
async function observe(spec: RolloutSpec, status: RolloutStatus, durationMs: number, kind: 'shadow' | 'canary'): Promise<string | undefined> {
  const end = Date.now() + durationMs;
  status.waitUntil = end;
  // Windows are whole seconds, matching the gateway's buckets, so no request is counted twice.
  let windowStart = Math.floor(Date.now() / 1000) * 1000;
  while (Date.now() < end) {
    await sleep(Math.min(spec.analysis.interval, end - Date.now()));
    const windowEnd = Math.floor(Date.now() / 1000) * 1000;
    let window: WindowStats;
    try {
      window = await metrics.collectWindow({ route: spec.route, fromMs: windowStart, toMs: windowEnd });
    } catch (error) {
      if (isCancellation(error)) throw error;
      recordVerdict(status, {
        verdict: 'Error',
        checks: [],
        summary: `metrics unavailable: ${describeFailure(error).message}`,
        candidateRequests: 0,
        baselineRequests: 0,
        at: Date.now(),
        phase: status.phase,
        step: status.step,
      });
      continue; // a measurement that could not be taken is never a failure
    }
    windowStart = windowEnd;
    if (kind === 'shadow') status.shadowTotals = mergeWindows(status.shadowTotals, window);
    else status.canaryTotals = mergeWindows(status.canaryTotals, window);
    const verdict = judgeInterval(window.stable, kind === 'shadow' ? window.shadow : window.candidate, spec.analysis.rollback);
    recordVerdict(status, { ...verdict, at: Date.now(), phase: status.phase, step: status.step });
    if (status.consecutiveFailures >= spec.analysis.failureLimit) {
      return `${verdict.summary} (${status.consecutiveFailures} failed check${status.consecutiveFailures > 1 ? 's' : ''} in a row)`;
    }
  }
  status.waitUntil = null;
  return undefined;
}

async function promote(spec: RolloutSpec, status: RolloutStatus): Promise<void> {
  enter(status, 'Promoting', 'promote: the candidate becomes the stable');
  const { previousStable } = await cleanupTraffic.promoteCandidate({ route: spec.route });
  status.weight = 0;
  status.shadowRate = 0;
  if (previousStable.deployment) {
    await hostCleanup(previousStable.deployment.host).stopModelServer({ deploymentId: previousStable.deployment.id });
    note(status, Date.now(), `stopped the previous stable server ${previousStable.deployment.id}`);
  }
}

async function rollback(spec: RolloutSpec, status: RolloutStatus, reason: string): Promise<void> {
  status.reason = reason;
  enter(status, 'RollingBack', `roll back: ${reason}`);
  await teardownCandidate(spec, status, 'RollingBack');
}

/**
 * Candidate weight to 0 first, then its server: users leave the candidate before it goes away.
 * Keyed by the deployment id, not the start result, so a start cut short by a rollback is stopped too.
 */
async function teardownCandidate(spec: RolloutSpec, status: RolloutStatus, why: string): Promise<void> {
  if (status.candidateDeploymentId === null) return;
  await cleanupTraffic.detachCandidate({ route: spec.route, rolloutId: status.rolloutId });
  status.weight = 0;
  status.shadowRate = 0;
  await hostCleanup(spec.candidate.host).stopModelServer({ deploymentId: status.candidateDeploymentId });
  note(status, Date.now(), `${why}: candidate detached and stopped`);
}
