// The clock of a timed wait: paused time does not count towards its duration.
import type { DeepReadonly, PauseState, WaitState } from './rollout-state';

/** Time the wait has run, not counting pauses. */
export function activeElapsed(wait: DeepReadonly<WaitState>, paused: DeepReadonly<PauseState> | null, now: number): number {
  return now - wait.startedAt - wait.pausedMs - (paused ? now - Math.max(paused.since, wait.startedAt) : 0);
}

/** Time left before a timed wait may end; infinite for a gate. */
export function remainingMs(wait: DeepReadonly<WaitState>, paused: DeepReadonly<PauseState> | null, now: number): number {
  return wait.durationMs === null ? Number.POSITIVE_INFINITY : Math.max(0, wait.durationMs - activeElapsed(wait, paused, now));
}
