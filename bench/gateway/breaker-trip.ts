// Section 4: a candidate that starts failing every request. How many user-visible candidate errors
// before the gateway's breaker trips, and how long it took — without fallback (users see the
// failures until the trip) and with it (users are answered by stable throughout).
import { join } from 'node:path';
import { request } from 'undici';
import { startGatewayProcess } from '../../test/helpers/gateway-process';
import { startMockUpstream } from '../../test/helpers/mock-upstream';
import { round } from '../stats';
import { CHAT_BODY, type OverheadOptions } from './proxy-overhead';

interface Trip {
  requestsSent: number;
  candidateRequests: number;
  userVisibleErrors: number;
  msFromFirstFailureToTrip: number;
  breakerReason: string | null;
}

export async function measureBreakerTrip(options: OverheadOptions): Promise<Record<string, unknown>> {
  const stable = await startMockUpstream();
  const failing = await startMockUpstream({ failStatus: 500 });
  const gantry = await startGatewayProcess({ GANTRY_GATEWAY_DATA_DIR: join(options.workDir, 'gantry-breaker') });
  try {
    const trip = async (fallbackToStable: boolean): Promise<Trip> => {
      const route = fallbackToStable ? 'with-fallback' : 'without-fallback';
      await gantry.admin.setRoute(route, { stable: { url: stable.url }, candidate: { url: failing.url }, weight: 50, fallbackToStable });
      const body = CHAT_BODY.replace('"model":"chat"', `"model":"${route}"`);
      let firstFailureAt: number | undefined;
      let userVisibleErrors = 0;
      let candidateRequests = 0;
      for (let sent = 1; sent <= 1000; sent++) {
        const response = await request(`${gantry.url}/v1/chat/completions`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-session-id': `user-${sent}` },
        });
        await response.body.dump();
        const triedCandidate = response.headers['x-gantry-variant'] === 'candidate' || response.headers['x-gantry-fallback'] !== undefined;
        if (triedCandidate) {
          candidateRequests += 1;
          firstFailureAt ??= performance.now();
        }
        if (response.statusCode >= 500) userVisibleErrors += 1;
        const breaker = await gantry.admin.breaker(route);
        if (breaker?.open) {
          return {
            requestsSent: sent,
            candidateRequests,
            userVisibleErrors,
            msFromFirstFailureToTrip: round(performance.now() - (firstFailureAt ?? 0), 1),
            breakerReason: breaker.reason,
          };
        }
      }
      throw new Error(`${route}: the breaker did not trip in 1000 requests`);
    };
    const withoutFallback = await trip(false);
    const withFallback = await trip(true);
    options.log(`  breaker: ${withoutFallback.userVisibleErrors} user-visible errors without fallback, ${withFallback.userVisibleErrors} with`);
    return {
      policy: 'default: window 20, maxErrorRate 0.5, minRequests 5; 50% of traffic on the candidate',
      withoutFallback: { ...withoutFallback, target: 'userVisibleErrors <= 20' },
      withFallback,
    };
  } finally {
    gantry.child.kill('SIGTERM');
    await gantry.exited;
    await Promise.all([stable.close(), failing.close()]);
  }
}
