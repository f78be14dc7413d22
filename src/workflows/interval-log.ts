// Every analysis interval appended to the rollout's record, outside the workflow's state: weeks of
// hourly intervals can be plotted (`gantry rollout report`) without growing the history (a local
// activity: one marker per interval). The append is awaited (a run that continues as new right after
// must not drop it), but one that fails after its retries is logged and never stops the rollout.
import { CancellationScope, log, patched } from '@temporalio/workflow';
import { intervalEntry } from '../analysis/interval-record';
import type { TrafficWindow } from '../analysis/stats';
import { records } from './activity-proxies';
import type { RolloutContext } from './rollout-context';
import { phaseOf, type DeepReadonly, type WaitState } from './state/rollout-state';

/** Histories written before the record existed scheduled no append; they replay without one. */
const INTERVAL_RECORD = 'gantry-interval-record';

/** `judged`: this analysis recorded a verdict (a breach found first records none: the breach is the verdict). */
export async function recordInterval(
  ctx: RolloutContext,
  wait: DeepReadonly<WaitState>,
  found: { traffic: TrafficWindow | null; breach: string | null; judged: boolean },
): Promise<void> {
  if (!patched(INTERVAL_RECORD)) return;
  const { rollout } = ctx;
  const state = rollout.state;
  const last = found.judged ? state.analysis.last : null;
  const breach = found.breach;
  const verdict = last ?? { verdict: breach ? ('Fail' as const) : ('Error' as const), summary: breach ?? 'not judged', checks: [] };
  const entry = intervalEntry({
    at: Date.now(),
    phase: phaseOf(state),
    step: state.step,
    weight: state.weight,
    judged: wait.analysis === 'shadow' ? 'shadow' : 'candidate',
    window: found.traffic,
    verdict,
    metrics: state.metrics ?? [],
    breach,
    quality: (state.quality?.verdicts ?? []).map((v) => ({
      name: v.name,
      status: v.status,
      estimate: v.estimate,
      interval: v.interval ? ([...v.interval] as [number, number]) : null,
      floor: v.floor ?? null,
      threshold: v.threshold ?? null,
      share: v.kind !== 'ratings',
    })),
  });
  try {
    await CancellationScope.nonCancellable(() => records.recordInterval({ rolloutId: state.rolloutId, entry }));
  } catch (error) {
    log.warn('interval not recorded', { rolloutId: state.rolloutId, error: String(error) });
  }
}
