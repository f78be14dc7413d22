// Where a phase ends on evidence — leaving the shadow phase (the seeds' GO/NO-GO), and promotion —
// every critical quality metric must PASS, and no metric may be FAILing. A FAIL that does not roll
// back (a metric that is not critical, answers that differ beyond the noise floor with nothing to
// say they are not worse) always holds for an operator's approve, whatever the spec says about
// inconclusive evidence. A critical metric still inconclusive does what `onInconclusive` says: hold
// (the default), rollback, or promote (go on). A hold is still judged every interval, and released
// on its own once every metric passes.
import { notify } from '../notify';
import { evalRunning, reviewVerdict, unsettledAt } from '../quality';
import type { RolloutContext } from '../rollout-context';
import { runWait } from '../waits';
import { stopped, type Decision } from './stage';

export async function qualityGate(ctx: RolloutContext, where: 'shadow' | 'promotion'): Promise<Decision | undefined> {
  const quality = ctx.spec.quality;
  if (!quality) return undefined;
  const { rollout } = ctx;
  const at = where === 'shadow' ? 'at the end of the shadow phase' : 'before promotion';
  if (rollout.state.wait?.kind !== 'quality-gate') {
    const stop = await untilEvalDone(ctx, where);
    if (stop) return stop;
    const unsettled = unsettledAt(ctx, where);
    if (unsettled.length === 0) {
      rollout.note(`quality ${at}: every critical metric passes, none fails`);
      return undefined;
    }
    const what = unsettled.map((v) => v.summary).join('; ');
    const failing = unsettled.filter((v) => v.status === 'FAIL');
    if (failing.length > 0) {
      const evidence = failing.map((v) => v.summary).join('; ');
      rollout.note(`quality ${at} fails (${evidence}): holding for approval`);
      void notify(
        ctx,
        'gate',
        'CRITICAL',
        `quality fails ${at}: ${evidence}. Not promoted: review the disagreeing pairs (gantry pairs export ${rollout.state.rolloutId} --disagreements), then approve to go on, or roll back.`,
      );
    } else if (quality.onInconclusive === 'promote') {
      rollout.note(`quality inconclusive ${at} (${what}): going on, as onInconclusive: promote says`);
      return undefined;
    } else if (quality.onInconclusive === 'rollback') return { promote: false, reason: `quality inconclusive ${at}: ${what}` };
    else {
      rollout.note(`quality inconclusive ${at} (${what}): holding for approval`);
      void notify(
        ctx,
        'gate',
        'WARNING',
        `quality inconclusive ${at}: ${what}. Review the disagreeing pairs (gantry pairs export ${rollout.state.rolloutId} --disagreements), then approve to go on, or roll back.`,
      );
    }
  }
  const outcome = await runWait(ctx, {
    kind: 'quality-gate',
    endsOn: 'approve',
    durationMs: null,
    analysis: where === 'shadow' ? 'shadow' : 'canary',
    until: () => unsettledAt(ctx, where).length === 0 || reviewVerdict(ctx)?.status === 'PASS',
  });
  const review = reviewVerdict(ctx);
  if (outcome.kind === 'ended' && review?.status === 'PASS' && unsettledAt(ctx, where).length > 0)
    rollout.note(`quality hold released by the experts' review: ${review.summary}`);
  return stopped(outcome, `quality gate ${at}`);
}

/** An eval set still running is evidence about to arrive: wait for it, still judging every interval. */
async function untilEvalDone(ctx: RolloutContext, where: 'shadow' | 'promotion'): Promise<Decision | undefined> {
  if (!evalRunning(ctx)) {
    // A run that continued as new once the eval set had finished: its wait is over.
    if (ctx.rollout.state.wait?.kind === 'eval-set') ctx.rollout.endWait();
    return undefined;
  }
  ctx.rollout.note('waiting for the eval set that is running before judging quality');
  const outcome = await runWait(ctx, {
    kind: 'eval-set',
    endsOn: 'time',
    durationMs: EVAL_WAIT_MS,
    analysis: where === 'shadow' ? 'shadow' : 'canary',
    until: () => !evalRunning(ctx),
  });
  return stopped(outcome, where === 'shadow' ? 'shadow analysis' : 'before promotion');
}

/** Longer than the eval activity may run (its start-to-close timeout): the wait ends with it in any case. */
const EVAL_WAIT_MS = 25 * 60_000;
