// Traffic activities: the workflow's only way to move users, through the gateway admin API.
// Each call sets the whole route at once, so the gateway never serves a half-applied change.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, GantryError } from '../errors';
import type { GatewayAdminClient } from '../gateway/admin-client';
import type { RouteConfig, RouteOptions, Upstream } from '../gateway/route-config';

export interface TrafficDeps {
  gateway: GatewayAdminClient;
}

/** Permanent gateway faults (a refused token or route) must not be retried for ever. */
function asActivityError(error: unknown): never {
  if (error instanceof GantryError && error.type === FailureType.GATEWAY_REJECTED) {
    throw ApplicationFailure.nonRetryable(error.message, error.type);
  }
  throw error;
}

export function createTrafficActivities(deps: TrafficDeps) {
  const { gateway } = deps;

  async function requireRoute(route: string): Promise<RouteConfig> {
    const config = await gateway.getRoute(route).catch(asActivityError);
    if (!config) throw ApplicationFailure.nonRetryable(`route "${route}" does not exist on the gateway`, FailureType.GATEWAY_REJECTED);
    return config;
  }

  async function getRoute(input: { route: string }): Promise<RouteConfig | null> {
    return (await gateway.getRoute(input.route).catch(asActivityError)) ?? null;
  }

  async function createRoute(input: { route: string; stable: Upstream }): Promise<RouteConfig> {
    return gateway.setRoute(input.route, { stable: input.stable, weight: 0, shadowRate: 0 }).catch(asActivityError);
  }

  async function setCandidateTraffic(input: {
    route: string;
    rolloutId: string;
    candidate: Upstream;
    weight: number;
    shadowRate: number;
    options?: RouteOptions;
  }): Promise<RouteConfig> {
    const current = await requireRoute(input.route);
    // One rollout per route: a route whose candidate belongs to another rollout is not taken over.
    if (current.rolloutId !== undefined && current.rolloutId !== input.rolloutId) {
      throw ApplicationFailure.nonRetryable(`route "${input.route}" is in use by rollout ${current.rolloutId}`, FailureType.REFUSED);
    }
    return gateway
      .setRoute(input.route, {
        ...current,
        ...input.options,
        candidate: input.candidate,
        weight: input.weight,
        shadowRate: input.shadowRate,
        rolloutId: input.rolloutId,
      })
      .catch(asActivityError);
  }

  /**
   * Weight 0, no mirroring and no candidate, in one change: the first step of every rollback.
   * Only this rollout's candidate is detached; a route another rollout owns is left alone.
   */
  async function detachCandidate(input: { route: string; rolloutId: string }): Promise<RouteConfig | null> {
    const current = await gateway.getRoute(input.route).catch(asActivityError);
    if (!current || (current.rolloutId !== undefined && current.rolloutId !== input.rolloutId)) return current ?? null;
    const { candidate: _dropped, rolloutId: _owner, ...rest } = current;
    return gateway.setRoute(input.route, { ...rest, weight: 0, shadowRate: 0 }).catch(asActivityError);
  }

  /** The candidate becomes the stable; returns the upstream it replaced, for teardown. */
  async function promoteCandidate(input: { route: string }): Promise<{ previousStable: Upstream }> {
    const current = await requireRoute(input.route);
    if (!current.candidate) throw ApplicationFailure.nonRetryable(`route "${input.route}" has no candidate to promote`, FailureType.GATEWAY_REJECTED);
    const { rolloutId: _owner, candidate, ...rest } = current;
    await gateway.setRoute(input.route, { ...rest, stable: candidate, weight: 0, shadowRate: 0 }).catch(asActivityError);
    return { previousStable: current.stable };
  }

  return { getRoute, createRoute, setCandidateTraffic, detachCandidate, promoteCandidate };
}

export type TrafficActivities = ReturnType<typeof createTrafficActivities>;
