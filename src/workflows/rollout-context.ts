// What every part of a running rollout shares: its input and spec, the state's owner, and the
// control state that command handlers set and waits react to.
import type { CancellationScope } from '@temporalio/workflow';
import type { RolloutSpec } from '../config/spec';
import type { RolloutState } from './state/rollout-state';
import type { LegacyRolloutStatus } from './state/legacy-status';
import type { StateOwner } from './state/state-owner';

export interface RolloutInput {
  rolloutId: string;
  spec: RolloutSpec;
  /** who started it, for the audit log */
  startedBy: string;
  /** the Web UI page of this rollout, for notifications */
  link?: string;
  /** a previous run's state, when this run continues it as new (a first-release run's status is migrated) */
  resume?: RolloutState | LegacyRolloutStatus;
  /** continue as new once a run's history reaches this many events (Temporal's suggestion also counts) */
  historyLimit?: number;
  /** started with Gantry's search attributes (the cluster has them): the workflow keeps phase and outcome current */
  searchAttributes?: boolean;
}

/** Per run, not carried across continue-as-new: what accepted commands ask of the pipeline. */
export interface Control {
  /** bumped by every accepted command, so waits wake and look again */
  version: number;
  /** set by an accepted advance or approve; the current wait consumes it */
  exit: 'advanced' | 'forced' | 'approved' | null;
  /** set by an accepted revert, during the keep window after a promotion */
  revert: { by: string; reason: string } | null;
}

/** Per run: work started by one analysis and finished by a later one. */
export interface InFlight {
  /** the eval set running against both variants; a run does not continue as new while it runs */
  evalRun: Promise<void> | null;
  /** its scope, cancelled when the rollout ends so no evaluation is left running behind it */
  evalScope?: CancellationScope | null;
}

export interface RolloutContext {
  input: RolloutInput;
  spec: RolloutSpec;
  rollout: StateOwner;
  control: Control;
  inFlight: InFlight;
}

export const DEFAULT_HISTORY_LIMIT = 1_800;
