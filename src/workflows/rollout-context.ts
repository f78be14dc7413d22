// What every part of a running rollout shares: its input, spec, live status, and the control state
// that signal handlers change and waits react to.
import type { RolloutSpec } from '../config/spec';
import type { RolloutStatus } from './rollout-state';

export interface RolloutInput {
  rolloutId: string;
  spec: RolloutSpec;
  /** who started it, for the audit log */
  startedBy: string;
  /** the Web UI page of this rollout, for notifications */
  link?: string;
  /** a previous run's state, when this run continues it as new */
  resume?: RolloutStatus;
  /** continue as new once a run's history reaches this many events (Temporal's suggestion also counts) */
  historyLimit?: number;
}

export interface Control {
  /** bumped by every accepted command, so waits wake and look again */
  version: number;
  /** set by an accepted advance or approve; the current wait consumes it */
  exit: 'advanced' | 'forced' | 'approved' | null;
}

export interface RolloutContext {
  input: RolloutInput;
  spec: RolloutSpec;
  status: RolloutStatus;
  control: Control;
}

export const DEFAULT_HISTORY_LIMIT = 1_800;
