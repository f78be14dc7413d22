// The QA gate: the candidate checkpoint served on its host, the eval suite run against it, the
// server stopped whatever happens. A failed gate rolls back before anything is quantized.
import { CancellationScope } from '@temporalio/workflow';
import { hostActivities, hostCleanup, qaActivities } from '../activity-proxies';
import { enter, holdWhilePaused, type Stage } from './stage';

export const qaStage: Stage = {
  name: 'qa',
  async run(ctx) {
    const { spec, rollout } = ctx;
    await holdWhilePaused(ctx);
    const qa = spec.qa;
    if (!qa) return undefined;
    enter(ctx, 'qa', `QA gate: ${qa.suite}`);
    const host = hostActivities(spec.candidate.host, spec.candidate.readyTimeout);
    const server = await host.startModelServer({
      deploymentId: `${rollout.state.rolloutId}-qa`,
      modelPath: spec.candidate.model,
      engine: spec.candidate.engine,
      servedName: spec.route,
      options: spec.candidate.server,
      readyTimeoutMs: spec.candidate.readyTimeout,
    });
    let report;
    try {
      report = await qaActivities(qa.requestTimeout + 30_000).runQaSuite({
        endpoint: server.endpoint,
        model: spec.route,
        suitePath: qa.suite,
        maxTokens: qa.maxTokens,
        stop: qa.stop,
        requestTimeoutMs: qa.requestTimeout,
        gate: qa.gate,
      });
    } finally {
      await CancellationScope.nonCancellable(() => hostCleanup(spec.candidate.host).stopModelServer({ deploymentId: server.deploymentId }));
    }
    rollout.qaReported(report);
    if (!report.passedGate) return { promote: false, reason: `QA gate failed: ${report.summary}` };
    return undefined;
  },
};
