// The circuit breaker of each route's candidate. A breaker belongs to one candidate upstream: a
// route set with another candidate starts with a closed one.
import { closedBreaker, recordOutcome, type BreakerState } from './circuit-breaker';
import type { RouteConfig } from './route-config';

export class BreakerBoard {
  private readonly states = new Map<string, { candidateUrl: string; state: BreakerState }>();

  constructor(private readonly onOpen: (route: string, reason: string) => void) {}

  private entry(route: string, candidateUrl: string): BreakerState {
    const current = this.states.get(route);
    if (current && current.candidateUrl === candidateUrl) return current.state;
    const state = closedBreaker();
    this.states.set(route, { candidateUrl, state });
    return state;
  }

  isOpen(route: string, config: RouteConfig): boolean {
    return config.candidate !== undefined && this.states.get(route)?.candidateUrl === config.candidate.url && (this.states.get(route)?.state.open ?? false);
  }

  record(route: string, config: RouteConfig, isError: boolean): void {
    if (!config.candidate) return;
    const state = this.entry(route, config.candidate.url);
    if (recordOutcome(state, config.breaker, isError, new Date())) this.onOpen(route, state.reason as string);
  }

  state(route: string, config: RouteConfig | undefined): BreakerState | null {
    if (!config?.candidate) return null;
    return this.entry(route, config.candidate.url);
  }
}
