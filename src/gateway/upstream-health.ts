// Active health checks of every upstream a route names, as nginx and Envoy do: each is asked for
// its model list (`GET <url>/models`, which llama-server, vLLM and hosted OpenAI-compatible APIs
// all answer) every interval. One success makes it healthy; `fall` failures in a row make it
// unhealthy, so one slow answer does not flap a busy server. Nothing here is on the request path.
import { request } from 'undici';
import type { RouteConfig, Upstream } from './route-config';
import type { RouteTable } from './route-table';

export interface HealthCheckOptions {
  intervalMs: number;
  timeoutMs: number;
  /** consecutive failed probes before a healthy upstream is reported down */
  fall: number;
}

export interface UpstreamHealthState {
  url: string;
  /** null until the first probe has answered or failed */
  healthy: boolean | null;
  checkedAt: string | null;
  detail: string;
  consecutiveFailures: number;
}

export type ProbeResult = { ok: true; detail: string } | { ok: false; detail: string };
export type Prober = (upstream: Upstream, timeoutMs: number) => Promise<ProbeResult>;

export const probeModels: Prober = async (upstream, timeoutMs) => {
  const started = performance.now();
  try {
    const response = await request(`${upstream.url.replace(/\/$/, '')}/models`, {
      headers: upstream.apiKey ? { authorization: `Bearer ${upstream.apiKey}` } : {},
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await response.body.dump();
    const took = Math.round(performance.now() - started);
    return response.statusCode >= 200 && response.statusCode < 300
      ? { ok: true, detail: `answered in ${took}ms` }
      : { ok: false, detail: `GET /models answered ${response.statusCode}` };
  } catch (error) {
    return { ok: false, detail: `unreachable: ${(error as Error).message}` };
  }
};

export interface RouteReadiness {
  stable: boolean | null;
  candidate: boolean | null;
}

export interface RouteUpstreamHealth {
  stable: UpstreamHealthState;
  candidate: UpstreamHealthState | null;
}

export class UpstreamHealthBoard {
  private readonly states = new Map<string, UpstreamHealthState>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly routes: RouteTable,
    private readonly options: HealthCheckOptions,
    private readonly prober: Prober = probeModels,
  ) {}

  start(): void {
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Probes every upstream of every route once (a round still running is joined, not doubled). */
  probeAll(): Promise<void> {
    this.running ??= (async () => {
      const upstreams = new Map<string, Upstream>();
      for (const name of this.routes.names()) {
        const route = this.routes.get(name);
        if (!route) continue;
        upstreams.set(route.stable.url, route.stable);
        if (route.candidate) upstreams.set(route.candidate.url, route.candidate);
      }
      await Promise.all([...upstreams.values()].map((upstream) => this.probe(upstream)));
      this.forget(new Set(upstreams.keys()));
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Probes one upstream now and folds the result into its state. */
  async probe(upstream: Upstream): Promise<UpstreamHealthState> {
    const result = await this.prober(upstream, this.options.timeoutMs);
    const previous = this.states.get(upstream.url);
    const failures = result.ok ? 0 : (previous?.consecutiveFailures ?? 0) + 1;
    // Unknown becomes whatever the first probe says; healthy needs `fall` failures to go down.
    const healthy = result.ok ? true : previous?.healthy === true ? failures < this.options.fall : false;
    const state: UpstreamHealthState = {
      url: upstream.url,
      healthy,
      checkedAt: new Date().toISOString(),
      detail: result.detail,
      consecutiveFailures: failures,
    };
    this.states.set(upstream.url, state);
    return state;
  }

  /** The health of a route's upstreams; with `probeNow`, probed before answering. */
  async forRoute(config: RouteConfig, probeNow: boolean): Promise<RouteUpstreamHealth> {
    if (probeNow) {
      await this.probe(config.stable);
      if (config.candidate) await this.probe(config.candidate);
    }
    return { stable: this.stateOf(config.stable), candidate: config.candidate ? this.stateOf(config.candidate) : null };
  }

  /** Each route's upstreams: healthy, unhealthy, or null before their first probe. */
  readiness(): Record<string, RouteReadiness> {
    const routes: Record<string, RouteReadiness> = {};
    for (const name of this.routes.names()) {
      const route = this.routes.get(name);
      if (!route) continue;
      routes[name] = { stable: this.stateOf(route.stable).healthy, candidate: route.candidate ? this.stateOf(route.candidate).healthy : null };
    }
    return routes;
  }

  private stateOf(upstream: Upstream): UpstreamHealthState {
    return this.states.get(upstream.url) ?? { url: upstream.url, healthy: null, checkedAt: null, detail: 'not probed yet', consecutiveFailures: 0 };
  }

  private forget(current: Set<string>): void {
    for (const url of this.states.keys()) if (!current.has(url)) this.states.delete(url);
  }
}
