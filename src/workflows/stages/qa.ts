// The QA gate. On this release it tests the file that ships: the quantized artifact, served on its
// host, and the route's live stable, on the same cases and decoding — both accuracies, the flips
// with an exact test, and the suite's weighted score in bands. Blocked, it rolls back before
// anything serves users; in the review band an operator approves; in the approve band the next
// phase is watched twice as closely. (The first release gated the checkpoint alone, before
// quantizing: its histories replay that.)
import { CancellationScope } from '@temporalio/workflow';
import { hostActivities, hostCleanup, qaActivities } from '../activity-proxies';
import { onRelease2 } from '../release';
import { runWait } from '../waits';
import { notify } from '../notify';
import { artifactOf, enter, holdWhilePaused, stopped, type Stage } from './stage';

export const qaStage: Stage = {
  name: 'qa',
  async run(ctx) {
    const { spec, rollout } = ctx;
    const qa = spec.qa;
    const release2 = onRelease2();
    // A run that continued as new at the review gate has its report already.
    if (rollout.state.wait?.kind !== 'qa-gate') {
      await holdWhilePaused(ctx);
      if (!qa) return undefined;
      const target = release2 ? artifactOf(ctx).path : spec.candidate.model;
      enter(ctx, 'qa', release2 ? `QA gate: ${qa.suite} on the artifact ${target}, beside the stable` : `QA gate: ${qa.suite}`);
      const host = hostActivities(spec.candidate.host, spec.candidate.readyTimeout);
      const server = await host.startModelServer({
        deploymentId: `${rollout.state.rolloutId}-qa`,
        modelPath: target,
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
          ...(release2 ? { compareWithRoute: spec.route, target } : {}),
        });
      } finally {
        await CancellationScope.nonCancellable(() => hostCleanup(spec.candidate.host).stopModelServer({ deploymentId: server.deploymentId }));
      }
      rollout.qaReported(report);
      if (!report.passedGate) return { promote: false, reason: `QA gate failed: ${report.summary}` };
      if (report.decision !== 'review') return undefined;
      void notify(ctx, 'gate', 'WARNING', `QA score ${report.score?.value.toFixed(1) ?? '?'} is in the review band: approve to go on, or roll back`);
    }
    return stopped(
      await runWait(ctx, {
        kind: 'qa-gate',
        endsOn: 'approve',
        durationMs: null,
        analysis: 'none',
        gateTimeoutMs: qa?.approvalTimeout,
        onTimeout: qa?.onTimeout ?? 'rollback',
      }),
      'QA gate',
    );
  },
};
