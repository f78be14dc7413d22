// Protects users between two analyses: when the candidate's errors over its last N live requests
// cross a critical share, the breaker opens and all live traffic goes to stable at once. It stays
// open for that candidate until the route is set again (a new candidate, or a rollback).
import type { BreakerPolicy } from '../config/traffic-options';

export interface BreakerState {
  open: boolean;
  openedAt: string | null;
  reason: string | null;
  /** the candidate's latest outcomes, true = error (oldest first) */
  recent: boolean[];
}

export function closedBreaker(): BreakerState {
  return { open: false, openedAt: null, reason: null, recent: [] };
}

/** Records one candidate outcome; returns true when this outcome opened the breaker. */
export function recordOutcome(state: BreakerState, policy: BreakerPolicy, isError: boolean, now: Date): boolean {
  if (state.open) return false;
  state.recent.push(isError);
  if (state.recent.length > policy.window) state.recent.shift();
  const errors = state.recent.filter(Boolean).length;
  if (state.recent.length < policy.minRequests || errors / state.recent.length < policy.maxErrorRate) return false;
  state.open = true;
  state.openedAt = now.toISOString();
  state.reason = `circuit breaker open: ${errors} of the candidate's last ${state.recent.length} requests failed (limit ${Math.round(policy.maxErrorRate * 100)}%)`;
  return true;
}
