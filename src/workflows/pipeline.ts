// The rollout's stages in order. Each stage is skipped when the status says it is done, so a run
// that continued as new picks up exactly where the last one stopped.
import { ApplicationFailure, CancellationScope, condition, log } from '@temporalio/workflow';
import type { CanaryStep, RolloutSpec } from '../config/spec';
import { decidePromotion } from '../analysis/promotion-decision';
import type { Upstream } from '../gateway/route-config';
import type { Deployment } from '../activities/model-host';
import { hostActivities, hostCleanup, qaActivities, traffic } from './activity-proxies';
import type { RolloutContext } from './rollout-context';
import { note, type Phase, type RolloutStatus } from './rollout-state';
import { refreshWaitingFor, runWait, type WaitOutcome } from './waits';
import { notify } from './notify';

/** How the pipeline ended when nothing threw: promote, or roll back for a measured reason. */
export type Decision = { promote: true } | { promote: false; reason: string };

export function enter(ctx: RolloutContext, phase: Phase, message: string): void {
  const changed = ctx.status.phase !== phase;
  ctx.status.phase = phase;
  note(ctx.status, Date.now(), message);
  log.info(message, { rolloutId: ctx.status.rolloutId, phase });
  if (changed && phase !== 'Pending') void notify(ctx, 'phase', 'INFO', message);
}

export function upstreamOf(deployment: Deployment, label: string): Upstream {
  return { url: deployment.endpoint, deployment: { host: deployment.host, id: deployment.deploymentId }, label };
}

/** Before traffic reaches the candidate, a pause simply holds the pipeline at the next stage. */
async function holdWhilePaused(status: RolloutStatus): Promise<void> {
  if (!status.paused) return;
  refreshWaitingFor(status, Date.now());
  await condition(() => status.paused === null);
  refreshWaitingFor(status, Date.now());
}

function stopped(outcome: WaitOutcome, where: string): Decision | undefined {
  if (outcome.kind === 'breach') return { promote: false, reason: `${where}: ${outcome.reason}` };
  if (outcome.kind === 'gate-timeout') return { promote: false, reason: `${where}: ${outcome.reason}` };
  return undefined;
}

async function setTraffic(ctx: RolloutContext, weight: number, shadowRate: number): Promise<void> {
  const { status, spec } = ctx;
  const candidate = upstreamOf(status.candidate as Deployment, `${status.rolloutId} candidate`);
  await traffic.setCandidateTraffic({ route: spec.route, rolloutId: status.rolloutId, candidate, weight, shadowRate, options: spec.gateway });
  status.weight = weight;
  status.shadowRate = shadowRate;
}

export async function runPipeline(ctx: RolloutContext): Promise<Decision> {
  const { spec, status } = ctx;
  const rolloutId = status.rolloutId;
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

  if (status.stage === 'qa') {
    await holdWhilePaused(status);
    if (spec.qa) {
      const qa = spec.qa;
      enter(ctx, 'QA', `QA gate: ${qa.suite}`);
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
    status.stage = 'quantize';
  }

  if (status.stage === 'quantize') {
    await holdWhilePaused(status);
    if (spec.candidate.quantize) {
      enter(ctx, 'Quantize', `quantize ${spec.candidate.model} to ${spec.candidate.quantize.type} on ${spec.candidate.host}`);
      status.artifact = await candidateHost.quantizeModel({ rolloutId, source: spec.candidate.model, type: spec.candidate.quantize.type });
    } else {
      status.artifact = await candidateHost.inspectModel({ path: spec.candidate.model });
    }
    note(status, Date.now(), `artifact ${status.artifact.path} (${status.artifact.sizeBytes} bytes, sha256 ${status.artifact.sha256.slice(0, 12)}…)`);
    status.stage = 'deploy';
  }

  if (status.stage === 'deploy') {
    await holdWhilePaused(status);
    enter(ctx, 'Deploy', `deploy the candidate on ${spec.candidate.host}`);
    await ensureRoute(spec, rolloutId);
    status.candidateDeploymentId = `${rolloutId}-candidate`;
    status.candidate = await serve(status.candidateDeploymentId, (status.artifact as { path: string }).path);
    note(status, Date.now(), `candidate serving at ${status.candidate.endpoint}`);
    await setTraffic(ctx, 0, 0);
    status.stage = 'shadow';
  }

  if (status.stage === 'shadow') {
    if (spec.shadow) {
      const shadow = spec.shadow;
      if (!status.wait) {
        await holdWhilePaused(status);
        enter(ctx, 'Shadow', `shadow ${Math.round(shadow.sampleRate * 100)}% of traffic for ${shadow.duration}ms`);
      }
      await setTraffic(ctx, 0, shadow.sampleRate);
      const outcome = await runWait(ctx, { kind: 'shadow', endsOn: 'time', durationMs: shadow.duration, analysis: 'shadow', minPairs: shadow.minPairs });
      const stop = stopped(outcome, 'shadow analysis');
      if (stop) return stop;
      const waived = outcome.kind === 'ended' && outcome.forced;
      if (waived && status.shadowTotals.pairs < shadow.minPairs)
        note(status, Date.now(), `shadow pair minimum waived by a forced advance (${status.shadowTotals.pairs} of ${shadow.minPairs})`);
      if (!waived && status.shadowTotals.pairs < shadow.minPairs) {
        return { promote: false, reason: `shadow phase recorded ${status.shadowTotals.pairs} pairs, fewer than the ${shadow.minPairs} required` };
      }
    }
    status.stage = 'canary';
    status.step = 0;
  }

  if (status.stage === 'canary') {
    for (let index = Math.max(0, status.step); index < spec.canary.steps.length; index++) {
      const step = spec.canary.steps[index] as CanaryStep;
      const resuming = status.step === index && status.wait !== null;
      status.step = index;
      const where = `canary step ${index + 1} (${step.weight}%)`;
      if (!resuming) {
        enter(ctx, 'Canary', `canary step ${index + 1}/${spec.canary.steps.length}: ${step.weight}% for ${step.duration}ms, then ${step.advance}`);
        void notify(ctx, 'step', 'INFO', `${where} begins`);
      }
      await setTraffic(ctx, step.weight, 0);
      if (status.wait?.kind !== 'gate') {
        const stop = stopped(await runWait(ctx, { kind: 'soak', endsOn: 'time', durationMs: step.duration, analysis: 'canary' }), where);
        if (stop) return stop;
      }
      if (step.advance !== 'auto') {
        const endsOn = step.advance === 'manual' ? 'approve' : 'advance';
        const stop = stopped(
          await runWait(ctx, { kind: 'gate', endsOn, durationMs: null, analysis: 'canary', gateTimeoutMs: step.gateTimeout, onTimeout: step.onTimeout }),
          where,
        );
        if (stop) return stop;
      }
    }
    status.stage = 'evaluation';
  }

  if (status.stage === 'evaluation') {
    enter(ctx, 'Evaluation', 'evaluate the whole canary against the promotion rules');
    status.evaluation = decidePromotion(status.canaryTotals.stable, status.canaryTotals.candidate, spec.analysis.promote);
    if (!status.evaluation.promote) return { promote: false, reason: `evaluation: ${status.evaluation.reasons.join('; ')}` };
    status.reason = `evaluation passed: ${status.evaluation.reasons.join('; ')}`;
    status.stage = 'approval';
  }

  if (spec.promotion.requireApproval) {
    const stop = stopped(
      await runWait(ctx, {
        kind: 'promotion-gate',
        endsOn: 'approve',
        durationMs: null,
        analysis: 'canary',
        gateTimeoutMs: spec.promotion.approvalTimeout,
        onTimeout: spec.promotion.onTimeout,
      }),
      'promotion approval',
    );
    if (stop) return stop;
  }
  // Promotion moves traffic: a paused rollout holds here, still judged every interval.
  if (status.paused) {
    const stop = stopped(await runWait(ctx, { kind: 'soak', endsOn: 'time', durationMs: 0, analysis: 'canary' }), 'before promotion');
    if (stop) return stop;
  }
  status.stage = 'done';
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
