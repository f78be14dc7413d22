// Prometheus metrics of the data plane, named by Prometheus conventions.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BatchedCounter } from './batched-counter';

/** client_closed: the client went away mid-answer, which says nothing about the model */
export type ErrorClass = 'none' | 'client_error' | 'server_error' | 'unreachable' | 'timeout' | 'client_closed';

export function errorClassOf(status: number): ErrorClass {
  if (status >= 200 && status < 300) return 'none';
  return status >= 500 ? 'server_error' : 'client_error';
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new BatchedCounter({
    name: 'gantry_gateway_requests_total',
    help: 'Requests answered, by route, variant and error class (none for 2xx)',
    labelNames: ['route', 'variant', 'error_class'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'gantry_gateway_request_duration_seconds',
    help: 'Time from request to the end of the answer, successful requests only',
    labelNames: ['route', 'variant'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });
  readonly timeToFirstToken = new Histogram({
    name: 'gantry_gateway_time_to_first_token_seconds',
    help: "Time from request to the answer's first streamed chunk, successful streamed requests only",
    labelNames: ['route', 'variant'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
    registers: [this.registry],
  });
  readonly tokens = new BatchedCounter({
    name: 'gantry_gateway_tokens_total',
    help: 'Tokens in (prompt) and out (completion) of successful answers, from their usage or counted in the stream',
    labelNames: ['route', 'variant', 'direction'] as const,
    registers: [this.registry],
  });
  readonly shadow = new BatchedCounter({
    name: 'gantry_gateway_shadow_requests_total',
    help: 'Mirrored requests by outcome: sent, dropped (candidate saturated), failed',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });
  private shadowLoad: () => { route: string; inFlight: number; queued: number }[] = () => [];
  readonly shadowMirrors = new Gauge({
    name: 'gantry_gateway_shadow_mirrors',
    help: 'Mirrors not yet done, by route and state: in_flight (at the candidate or writing their pair) or queued (waiting for a slot)',
    labelNames: ['route', 'state'] as const,
    registers: [this.registry],
    // Read at scrape time: a gauge set on every mirror would cost the hot path a label lookup.
    collect: () => {
      for (const { route, inFlight, queued } of this.shadowLoad()) {
        this.shadowMirrors.set({ route, state: 'in_flight' }, inFlight);
        this.shadowMirrors.set({ route, state: 'queued' }, queued);
      }
    },
  });
  readonly pairs = new Counter({
    name: 'gantry_gateway_shadow_pairs_total',
    help: 'Shadow pairs by outcome: written (durable in the pair store) or failed (the store refused them)',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly weight = new Gauge({
    name: 'gantry_gateway_route_candidate_weight_percent',
    help: 'Percent of live traffic routed to the candidate',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly shadowRate = new Gauge({
    name: 'gantry_gateway_route_shadow_rate',
    help: 'Fraction of stable traffic mirrored to the candidate',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  private upstreamHealth: () => Record<string, { stable: boolean | null; candidate: boolean | null }> = () => ({});
  readonly upstreamHealthy = new Gauge({
    name: 'gantry_gateway_upstream_healthy',
    help: "1 when the gateway's last health checks found the route's upstream answering, 0 when not (absent before the first check)",
    labelNames: ['route', 'variant'] as const,
    registers: [this.registry],
    collect: () => {
      this.upstreamHealthy.reset();
      for (const [route, health] of Object.entries(this.upstreamHealth())) {
        if (health.stable !== null) this.upstreamHealthy.set({ route, variant: 'stable' }, health.stable ? 1 : 0);
        if (health.candidate !== null) this.upstreamHealthy.set({ route, variant: 'candidate' }, health.candidate ? 1 : 0);
      }
    },
  });
  readonly breakerOpen = new Gauge({
    name: 'gantry_gateway_circuit_breaker_open',
    help: "1 while the route's circuit breaker keeps live traffic off the candidate",
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: 'gantry_gateway_fallbacks_total',
    help: 'Candidate requests that failed and were answered by stable',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gantry_gateway_' });
  }

  /** Where the upstream-health gauge reads its figures when scraped. */
  observeUpstreamHealth(read: () => Record<string, { stable: boolean | null; candidate: boolean | null }>): void {
    this.upstreamHealth = read;
  }

  /** Where the shadow-mirror gauge reads its figures when scraped. */
  observeShadowLoad(read: () => { route: string; inFlight: number; queued: number }[]): void {
    this.shadowLoad = read;
  }
}
