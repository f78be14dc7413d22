// Planning figures for paired metrics: how many non-tie judgments (or discordant pairs) a margin
// needs before a verdict can come, so a release engineer knows whether the traffic will ever
// suffice before starting a week-long shadow phase.
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { logEvidenceBelow, logThreshold } from './sequential';

/**
 * A fixed-sample one-sided test of "the candidate's worse share is below ½ + margin", when in truth
 * it is ½ (no difference): n for the given power.
 */
export function fixedSampleSize(margin: number, alpha: number, power = 0.8): number {
  const p0 = 0.5 + margin;
  const p1 = 0.5;
  const za = normalQuantile(1 - alpha, 0, 1);
  const zb = normalQuantile(power, 0, 1);
  return Math.ceil(((za * Math.sqrt(p0 * (1 - p0)) + zb * Math.sqrt(p1 * (1 - p1))) / (p0 - p1)) ** 2);
}

/**
 * The sequential (anytime-valid) test used here: the n at which its e-value reaches 1/alpha when
 * the observed worse share sits exactly at ½. A typical figure, not a power calculation.
 */
export function sequentialSampleSize(margin: number, alpha: number, limit = 1_000_000): number | null {
  const threshold = logThreshold(alpha);
  const reaches = (n: number): boolean => logEvidenceBelow(Math.round(n / 2), n, 0.5 + margin) >= threshold;
  let hi = 2;
  while (!reaches(hi)) {
    hi *= 2;
    if (hi > limit) return null;
  }
  let lo = Math.floor(hi / 2);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reaches(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
