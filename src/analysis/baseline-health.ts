// Is the stable fit to be compared with? A candidate always looks good next to a stable that fails
// or does not answer, so a sick baseline is no evidence: the window is an Error, never a Pass.
import { errorRate, type VariantStats } from './stats';
import { pct } from './checks';

export interface BaselineRules {
  /** the stable's error rate above which it is too sick to be a baseline */
  maxErrorRate: number;
  /** fewer stable requests than this say nothing about its error rate */
  minRequests: number;
}

/** What the gateway's active health check says of an upstream; healthy is null before its first probe. */
export interface UpstreamProbe {
  healthy: boolean | null;
  detail: string;
}

export interface BaselineHealth {
  healthy: boolean;
  reason: string;
}

export function judgeBaseline(stable: VariantStats, probe: UpstreamProbe | null, rules: BaselineRules): BaselineHealth {
  if (probe?.healthy === false) return { healthy: false, reason: `the stable's server is down (${probe.detail})` };
  const rate = errorRate(stable);
  if (stable.requests >= rules.minRequests && rate !== undefined && rate > rules.maxErrorRate) {
    const answered = stable.requests - stable.errors;
    const what = answered === 0 ? `the stable answered none of ${stable.requests} requests` : `stable error rate ${pct(rate)} over ${stable.requests} requests`;
    return { healthy: false, reason: `${what} (max ${pct(rules.maxErrorRate)})` };
  }
  return { healthy: true, reason: 'stable healthy' };
}
