// Client of the gateway admin API, used by the traffic and metric activities and by the CLI.
import { request } from 'undici';
import type { ClientKeyView, NewKey } from './client-keys';
import type { StableChange } from './stable-history';
import type { RouteConfig, RouteConfigInput } from './route-config';
import type { WindowStats } from './window-stats';
import type { PairPage, ShadowPair } from './pair-store';
import type { BreakerState } from './circuit-breaker';
import { GantryError } from '../errors';
import type { UpstreamHealthState } from './upstream-health';

export interface RouteHealthReport {
  breakerOpen: string | null;
  stable: UpstreamHealthState;
  candidate: UpstreamHealthState | null;
}

export class GatewayAdminClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async call<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; data: T }> {
    let response;
    try {
      response = await request(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw new GantryError('GATEWAY_UNAVAILABLE', `gateway at ${this.baseUrl} is unreachable: ${(error as Error).message}`);
    }
    const data = (await response.body.json().catch(() => undefined)) as T & { error?: { message?: string } };
    if (response.statusCode === 401) throw new GantryError('GATEWAY_REJECTED', `gateway at ${this.baseUrl} refused the admin token`);
    if (response.statusCode >= 500) throw new GantryError('GATEWAY_UNAVAILABLE', `gateway at ${this.baseUrl} answered ${response.statusCode}`);
    if (response.statusCode >= 400 && response.statusCode !== 404) {
      throw new GantryError('GATEWAY_REJECTED', `gateway refused ${method} ${path}: ${data?.error?.message ?? response.statusCode}`);
    }
    return { status: response.statusCode, data };
  }

  /** A new client key; the answer is the only place the key itself is ever shown. */
  async createClientKey(spec: NewKey): Promise<ClientKeyView & { key: string }> {
    return (await this.call<ClientKeyView & { key: string }>('POST', '/admin/keys', spec)).data;
  }

  async listClientKeys(): Promise<ClientKeyView[]> {
    return (await this.call<ClientKeyView[]>('GET', '/admin/keys')).data;
  }

  /** The revoked key, or undefined when there is no key with that id. */
  async revokeClientKey(id: string): Promise<ClientKeyView | undefined> {
    const { status, data } = await this.call<ClientKeyView>('DELETE', `/admin/keys/${encodeURIComponent(id)}`);
    return status === 404 ? undefined : data;
  }

  async getRoute(route: string): Promise<RouteConfig | undefined> {
    const { status, data } = await this.call<RouteConfig>('GET', `/admin/routes/${encodeURIComponent(route)}`);
    return status === 404 ? undefined : data;
  }

  async listRoutes(): Promise<Record<string, RouteConfig>> {
    return (await this.call<Record<string, RouteConfig>>('GET', '/admin/routes')).data;
  }

  async setRoute(route: string, config: RouteConfigInput): Promise<RouteConfig> {
    return (await this.call<RouteConfig>('PUT', `/admin/routes/${encodeURIComponent(route)}`, config)).data;
  }

  /** Requests the gateway has in flight to the server at `url`; undefined from a gateway that cannot tell. */
  async inFlight(url: string): Promise<number | undefined> {
    const { status, data } = await this.call<{ inFlight: number }>('GET', `/admin/in-flight?url=${encodeURIComponent(url)}`);
    return status === 404 ? undefined : data.inFlight;
  }

  async windowStats(route: string, fromMs: number, toMs: number): Promise<WindowStats> {
    return (await this.call<WindowStats>('GET', `/admin/routes/${encodeURIComponent(route)}/stats?from=${fromMs}&to=${toMs}`)).data;
  }

  /** The route's stables over time, oldest first; undefined when no such route was ever recorded. */
  async routeHistory(route: string): Promise<StableChange[] | undefined> {
    const { status, data } = await this.call<StableChange[]>('GET', `/admin/routes/${encodeURIComponent(route)}/history`);
    return status === 404 ? undefined : data;
  }

  /** The route's circuit breaker, or undefined when there is no such route. */
  async breaker(route: string): Promise<BreakerState | undefined> {
    const { status, data } = await this.call<BreakerState>('GET', `/admin/routes/${encodeURIComponent(route)}/breaker`);
    return status === 404 ? undefined : data;
  }

  /** The route's breaker and upstream health checks, or undefined when there is no such route. */
  async routeHealth(route: string, probeNow = false): Promise<RouteHealthReport | undefined> {
    const { status, data } = await this.call<RouteHealthReport>('GET', `/admin/routes/${encodeURIComponent(route)}/health${probeNow ? '?probe=1' : ''}`);
    return status === 404 ? undefined : data;
  }

  /** A rollout's pairs in recorded order from a cursor: the page and where the next one starts. */
  async pairRange(route: string, rolloutId: string, after: string | null, limit: number, untilMs?: number): Promise<PairPage> {
    const query = new URLSearchParams({ rollout: rolloutId, limit: String(limit) });
    if (after !== null) query.set('after', after);
    if (untilMs !== undefined) query.set('until', String(untilMs));
    return (await this.call<PairPage>('GET', `/admin/routes/${encodeURIComponent(route)}/pairs?${query.toString()}`)).data;
  }

  async recentPairs(route: string, limit: number): Promise<ShadowPair[]> {
    return (await this.call<ShadowPair[]>('GET', `/admin/routes/${encodeURIComponent(route)}/pairs?limit=${limit}`)).data;
  }
}
