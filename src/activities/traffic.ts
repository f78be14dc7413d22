// Traffic activities: the workflow's only way to move users, through the gateway admin API. The
// workflow speaks of deployments, weights and rates; this file turns them into the gateway's
// routes. Each call sets the whole route at once, so the gateway never serves a half-applied change.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, GantryError } from '../errors';
import type { GatewayAdminClient } from '../gateway/admin-client';
import type { UpstreamHealthState } from '../gateway/upstream-health';
import type { RouteConfig, Upstream } from '../gateway/route-config';
import type { TrafficOptions } from '../config/traffic-options';
import type { UpstreamProbe } from '../analysis/baseline-health';
import type { Deployment } from './model-host';
import { secretFromEnv } from './secrets';
import { restoredStableLabel } from '../gateway/stable-history';
import { drainUpstream, type DrainResult } from './drain';
import { Context } from '@temporalio/activity';

export interface TrafficDeps {
  gateway: GatewayAdminClient;
}

/** One side of a route, as the workflow needs to know it. */
export interface RouteSide {
  endpoint: string;
  /** the host agent's deployment serving it; null for an external endpoint */
  deployment: { host: string; deploymentId: string } | null;
  label: string | null;
}

export interface RouteSummary {
  route: string;
  stable: RouteSide;
  candidate: RouteSide | null;
  rolloutId: string | null;
  weight: number;
  shadowRate: number;
}

/** What a route's stable should be: a deployment on a host agent, or an external endpoint. */
export type StableTarget =
  | { deployment: Deployment; label: string }
  /** `apiKey` only in rollouts started before keys were named by variable; `apiKeyEnv` is read here, on the worker */
  | { endpoint: string; apiKeyEnv?: string; apiKey?: string; label: string };

export interface RouteHealth {
  /** set when the gateway's circuit breaker has cut the candidate off: the reason */
  breakerOpen: string | null;
  stable: UpstreamProbe;
  candidate: UpstreamProbe | null;
}

/** The rollout's id (its workflow id, as `gantry rollout start` sets it); undefined outside an activity. */
function currentWorkflowId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}

/** Permanent gateway faults (a refused token or route) must not be retried for ever. */
function asActivityError(error: unknown): never {
  if (error instanceof GantryError && error.type === FailureType.GATEWAY_REJECTED) {
    throw ApplicationFailure.nonRetryable(error.message, error.type);
  }
  throw error;
}

export function upstreamOf(deployment: Pick<Deployment, 'endpoint' | 'host' | 'deploymentId'> & { modelPath?: string }, label: string): Upstream {
  const artifact = deployment.modelPath ? { artifact: deployment.modelPath } : {};
  return { url: deployment.endpoint, deployment: { host: deployment.host, id: deployment.deploymentId }, label, ...artifact };
}

function upstreamOfStable(stable: StableTarget): Upstream {
  if ('deployment' in stable) return upstreamOf(stable.deployment, stable.label);
  const apiKey = stable.apiKeyEnv ? secretFromEnv('stable.apiKeyEnv', stable.apiKeyEnv, stable.endpoint) : stable.apiKey;
  return { url: stable.endpoint, apiKey, label: stable.label };
}

function sideOf(upstream: Upstream): RouteSide {
  return {
    endpoint: upstream.url,
    deployment: upstream.deployment ? { host: upstream.deployment.host, deploymentId: upstream.deployment.id } : null,
    label: upstream.label ?? null,
  };
}

export function summarise(route: string, config: RouteConfig): RouteSummary {
  return {
    route,
    stable: sideOf(config.stable),
    candidate: config.candidate ? sideOf(config.candidate) : null,
    rolloutId: config.rolloutId ?? null,
    weight: config.weight,
    shadowRate: config.shadowRate,
  };
}

export function createTrafficActivities(deps: TrafficDeps) {
  const { gateway } = deps;

  async function requireRoute(route: string): Promise<RouteConfig> {
    const config = await gateway.getRoute(route).catch(asActivityError);
    if (!config) throw ApplicationFailure.nonRetryable(`route "${route}" does not exist on the gateway`, FailureType.GATEWAY_REJECTED);
    return config;
  }

  async function set(route: string, config: Parameters<GatewayAdminClient['setRoute']>[1]): Promise<RouteSummary> {
    return summarise(route, await gateway.setRoute(route, config).catch(asActivityError));
  }

  async function getRoute(input: { route: string }): Promise<RouteSummary | null> {
    const config = await gateway.getRoute(input.route).catch(asActivityError);
    return config ? summarise(input.route, config) : null;
  }

  async function createRoute(input: { route: string; stable: StableTarget }): Promise<RouteSummary> {
    return set(input.route, { stable: upstreamOfStable(input.stable), weight: 0, shadowRate: 0 });
  }

  /** Re-points the route's stable (a restarted or replaced server), leaving the rest as it is. */
  async function setStable(input: { route: string; stable: StableTarget }): Promise<RouteSummary> {
    const current = await requireRoute(input.route);
    return set(input.route, { ...current, stable: upstreamOfStable(input.stable) });
  }

  async function setCandidateTraffic(input: {
    route: string;
    rolloutId: string;
    candidate: Deployment;
    weight: number;
    shadowRate: number;
    /** canary: the share of candidate-answered requests also sent to the stable, for quality pairs */
    reverseShadowRate?: number;
    /** the share of stable-answered requests asked of the stable a second time (the noise floor) */
    aaRate?: number;
    options?: TrafficOptions;
  }): Promise<RouteSummary> {
    const current = await requireRoute(input.route);
    // One rollout per route: a route whose candidate belongs to another rollout is not taken over.
    if (current.rolloutId !== undefined && current.rolloutId !== input.rolloutId) {
      throw ApplicationFailure.nonRetryable(`route "${input.route}" is in use by rollout ${current.rolloutId}`, FailureType.REFUSED);
    }
    const candidate = upstreamOf(input.candidate, `${input.rolloutId} candidate`);
    return set(input.route, {
      ...current,
      ...input.options,
      candidate,
      weight: input.weight,
      shadowRate: input.shadowRate,
      reverseShadowRate: input.reverseShadowRate ?? 0,
      aaRate: input.aaRate ?? 0,
      rolloutId: input.rolloutId,
    });
  }

  /**
   * Weight 0, no mirroring and no candidate, in one change: the first step of every rollback.
   * Only this rollout's candidate is detached; a route another rollout owns is left alone.
   */
  async function detachCandidate(input: { route: string; rolloutId: string }): Promise<RouteSummary | null> {
    const current = await gateway.getRoute(input.route).catch(asActivityError);
    if (!current || (current.rolloutId !== undefined && current.rolloutId !== input.rolloutId)) return current ? summarise(input.route, current) : null;
    const { candidate: _dropped, rolloutId: _owner, ...rest } = current;
    return set(input.route, { ...rest, weight: 0, shadowRate: 0, reverseShadowRate: 0, aaRate: 0 });
  }

  /** The candidate becomes the stable; returns the deployment it replaced, for teardown (or to keep). */
  /**
   * A retried promotion whose first attempt changed the route but was never reported (its worker
   * died): the route's history says this rollout promoted last, and which stable it replaced.
   * Without this, the retry would fail, and the failure's teardown would stop the new stable.
   */
  async function replacedByThisRollout(route: string): Promise<{ deployment?: { host: string; id: string }; endpoint: string } | undefined> {
    const rolloutId = currentWorkflowId();
    const history = (await gateway.routeHistory(route).catch(asActivityError)) ?? [];
    const [before, last] = history.slice(-2);
    if (rolloutId === undefined || last?.change !== 'promoted' || last.rolloutId !== rolloutId || !before) return undefined;
    return { deployment: before.deployment ?? undefined, endpoint: before.endpoint };
  }

  /** The candidate becomes the stable; returns once the replaced stable has answered what it was sent. */
  async function promoteCandidate(input: {
    route: string;
  }): Promise<{ previousStable: { deployment?: { host: string; id: string }; endpoint?: string }; drained: DrainResult }> {
    const current = await requireRoute(input.route);
    if (!current.candidate) {
      const replaced = await replacedByThisRollout(input.route);
      if (!replaced) throw ApplicationFailure.nonRetryable(`route "${input.route}" has no candidate to promote`, FailureType.GATEWAY_REJECTED);
      return { previousStable: replaced, drained: await drainUpstream(gateway, replaced.endpoint) };
    }
    const { rolloutId: _owner, candidate, ...rest } = current;
    await gateway.setRoute(input.route, { ...rest, stable: candidate, weight: 0, shadowRate: 0, reverseShadowRate: 0, aaRate: 0 }).catch(asActivityError);
    const drained = await drainUpstream(gateway, current.stable.url);
    return { previousStable: { deployment: current.stable.deployment, endpoint: current.stable.url }, drained };
  }

  /**
   * A promotion undone: the stable the promotion replaced (kept serving since) is the route's
   * stable again. Refused while another rollout has a candidate on the route.
   */
  async function restoreStable(input: {
    route: string;
    rolloutId: string;
    stable: { endpoint: string; host: string; deploymentId: string };
  }): Promise<RouteSummary & { drained: DrainResult }> {
    const current = await requireRoute(input.route);
    if (current.rolloutId !== undefined && current.rolloutId !== input.rolloutId) {
      throw ApplicationFailure.nonRetryable(`route "${input.route}" is in use by rollout ${current.rolloutId}`, FailureType.REFUSED);
    }
    const { candidate: _none, rolloutId: _owner, ...rest } = current;
    const stable = upstreamOf(
      { endpoint: input.stable.endpoint, host: input.stable.host, deploymentId: input.stable.deploymentId },
      restoredStableLabel(input.rolloutId),
    );
    const summary = await set(input.route, { ...rest, stable, weight: 0, shadowRate: 0, reverseShadowRate: 0, aaRate: 0 });
    // The promoted server is stopped next: what it was sent is answered first.
    const drained = current.stable.url === input.stable.endpoint ? { left: 0, waitedMs: 0 } : await drainUpstream(gateway, current.stable.url);
    return { ...summary, drained };
  }

  /** The breaker and the gateway's health probes of the route's upstreams; `probeNow` probes before answering. */
  async function routeHealth(input: { route: string; probeNow?: boolean }): Promise<RouteHealth> {
    const health = await gateway.routeHealth(input.route, input.probeNow ?? false).catch(asActivityError);
    if (!health) throw ApplicationFailure.nonRetryable(`route "${input.route}" does not exist on the gateway`, FailureType.GATEWAY_REJECTED);
    const probe = (state: UpstreamHealthState): UpstreamProbe => ({ healthy: state.healthy, detail: state.detail });
    return { breakerOpen: health.breakerOpen, stable: probe(health.stable), candidate: health.candidate ? probe(health.candidate) : null };
  }

  return { getRoute, createRoute, setStable, setCandidateTraffic, detachCandidate, promoteCandidate, restoreStable, routeHealth };
}

export type TrafficActivities = ReturnType<typeof createTrafficActivities>;
