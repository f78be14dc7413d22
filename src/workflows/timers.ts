// Waiting without cancelling timers. A wait wakes on its deadline or on a command. Racing a timer
// against a command and cancelling the loser sends CancelTimer; when the timer fired while that
// workflow task was with the worker, the time-skipping test server refuses the completion
// ("invalid history builder state for action") and the run is stranded (temporalio/sdk-java#3088).
// So a timer here is never cancelled: it is kept for as long as its deadline stands, in a
// non-cancellable scope, and simply fires unheeded when a command ended the wait first.
import { CancellationScope, condition, sleep } from '@temporalio/workflow';

export class Alarm {
  private at: number | null = null;
  private rings: Promise<void> | null = null;

  /** Resolves at `at` (workflow time). The same deadline reuses the same timer; `summary` names it in the Web UI. */
  until(at: number, summary?: string): Promise<void> {
    if (this.rings === null || this.at !== at) {
      this.at = at;
      const ms = Math.max(1, at - Date.now());
      this.rings = CancellationScope.nonCancellable(() => sleep(ms, summary === undefined ? undefined : { summary }));
    }
    return this.rings;
  }
}

/** Resolves once `version()` differs from `seen`; one condition per version seen, not one per look. */
export class CommandWaker {
  private seen: number | null = null;
  private arrived: Promise<boolean> | null = null;

  constructor(private readonly version: () => number) {}

  after(seen: number): Promise<boolean> {
    if (this.arrived === null || this.seen !== seen) {
      this.seen = seen;
      this.arrived = condition(() => this.version() !== seen).then(() => true);
    }
    return this.arrived;
  }
}

/** True when a command came before the deadline, false when the deadline came first. */
export function commandOrDeadline(alarm: Alarm, waker: CommandWaker, seen: number, deadline: number, summary?: string): Promise<boolean> {
  return Promise.race([waker.after(seen), alarm.until(deadline, summary).then(() => false)]);
}
