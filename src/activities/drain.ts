// Draining a server that has left its route: the gateway sends it no new request, and the ones it
// already sent are let finish before the server is stopped, so a promotion or a revert never cuts
// a user's answer off. Bounded: a server that never goes quiet is stopped anyway.
import type { GatewayAdminClient } from '../gateway/admin-client';

/** Within the traffic activities' 30 s start-to-close, with room for the route change itself. */
export const DRAIN_TIMEOUT_MS = 20_000;

export interface DrainResult {
  /** requests still in flight when the wait ended (0: drained; null: the gateway could not tell) */
  left: number | null;
  waitedMs: number;
}

export async function drainUpstream(gateway: GatewayAdminClient, url: string, timeoutMs = DRAIN_TIMEOUT_MS, pollMs = 200): Promise<DrainResult> {
  const started = Date.now();
  for (;;) {
    const left = await gateway.inFlight(url);
    const waitedMs = Date.now() - started;
    if (left === undefined) return { left: null, waitedMs };
    if (left === 0 || waitedMs >= timeoutMs) return { left, waitedMs };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
