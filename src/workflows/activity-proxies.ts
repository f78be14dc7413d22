// Activity stubs with timeouts and retry policies per group. Long activities heartbeat, and wait
// for their cancellation to finish so a rollback never races a half-started server.
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ControlPlaneActivities, ModelHostActivities } from '../activities';
import type { TrafficWindow } from '../analysis/stats';
import { CONTROL_TASK_QUEUE, hostTaskQueue } from './messages';
import { FailureType } from '../errors';

const permanent = Object.values(FailureType);
const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: permanent };

/** Pipeline traffic changes: a bounded number of tries, then the rollout fails and cleans up. */
export const traffic = proxyActivities<ControlPlaneActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry: { ...retry, maximumAttempts: 10 },
});

/** Cleanup traffic changes (rollback, promotion): retried until they succeed. */
export const cleanupTraffic = proxyActivities<ControlPlaneActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry: { ...retry, maximumInterval: '1m' },
});

/** A metric read that fails becomes an Error verdict for that interval, never a rollback. */
export const metrics = proxyActivities<ControlPlaneActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry: { ...retry, maximumAttempts: 3 },
});

/**
 * The first release's metric activity, kept by name only so that its histories replay: it returned
 * the gateway's window statistics, breaker included. Live runs call collectMeasurements.
 */
export interface LegacyMetricActivities {
  collectWindow(input: { route: string; fromMs: number; toMs: number }): Promise<TrafficWindow & { breakerOpen?: string | null }>;
}
export const legacyMetrics = proxyActivities<LegacyMetricActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry: { ...retry, maximumAttempts: 3 },
});

/** Scoring pairs, auditing the judge, running the eval set: minutes at most, heartbeating. */
export const qualityWork = proxyActivities<ControlPlaneActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '20m',
  // Heartbeats come at least once per judge call (its own timeout is 30s by default).
  heartbeatTimeout: '1m',
  retry: { ...retry, maximumAttempts: 3 },
});

/**
 * The eval set, run in the background: when the rollout ends it is cancelled and the rollout waits
 * until the activity has stopped (its next heartbeat), so no activity of a finished rollout is left
 * pending.
 */
export const evalWork = proxyActivities<ControlPlaneActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '20m',
  heartbeatTimeout: '1m',
  retry: { ...retry, maximumAttempts: 3 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Appends to the rollout's interval record, a file beside the orchestrator worker: a local
 * activity, so an interval costs the history one marker, not a task of its own.
 */
export const records = proxyLocalActivities<ControlPlaneActivities>({
  startToCloseTimeout: '10s',
  retry: { ...retry, maximumAttempts: 3 },
});

/** Webhooks: a few tries with backoff, then given up; never awaited by the pipeline. */
export const notifications = proxyActivities<ControlPlaneActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

export function qaActivities(heartbeatTimeoutMs: number): ControlPlaneActivities {
  return proxyActivities<ControlPlaneActivities>({
    taskQueue: CONTROL_TASK_QUEUE,
    startToCloseTimeout: '6h',
    heartbeatTimeout: heartbeatTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 2 },
  });
}

/** Measuring quantization loss: minutes to hours on a CPU, heartbeating every chunk of the corpus. */
export function hostMeasurements(host: string): ModelHostActivities {
  return proxyActivities<ModelHostActivities>({
    taskQueue: hostTaskQueue(host),
    startToCloseTimeout: '6h',
    heartbeatTimeout: '2m',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 2 },
  });
}

export function hostActivities(host: string, readyTimeoutMs = 120_000): ModelHostActivities {
  return proxyActivities<ModelHostActivities>({
    taskQueue: hostTaskQueue(host),
    startToCloseTimeout: readyTimeoutMs + 10 * 60_000,
    heartbeatTimeout: '60s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 3 },
  });
}

/**
 * Checking a deployment (the stable check): bounded from scheduling on, so a host agent that is not
 * running fails the rollout with a reason instead of holding it for ever.
 */
export function hostCheck(host: string, readyTimeoutMs: number): ModelHostActivities {
  return proxyActivities<ModelHostActivities>({
    taskQueue: hostTaskQueue(host),
    scheduleToCloseTimeout: readyTimeoutMs * 2 + 3 * 60_000,
    startToCloseTimeout: readyTimeoutMs * 2 + 60_000,
    heartbeatTimeout: '60s',
    retry: { ...retry, maximumAttempts: 3 },
  });
}

/** Stopping servers during cleanup: retried until the host agent answers. */
export function hostCleanup(host: string): ModelHostActivities {
  return proxyActivities<ModelHostActivities>({ taskQueue: hostTaskQueue(host), startToCloseTimeout: '1m', retry: { ...retry, maximumInterval: '1m' } });
}
