// (a) How often a rollout with no difference at all is rolled back, looked at every hour for four
// weeks: the anytime-valid harm test against a fixed-sample one-sided binomial test looked at just
// as often. And (b): how many non-tie judgments a 10-point drop takes to be caught at 80% power.
import { binomialUpperTail, logEvidenceAbove, logThreshold } from '../../src/analysis/sequential';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { seededRandom } from '../../src/analysis/seeded-random';

function harmSampleSize(drop: number, alpha: number, power: number): number {
  const za = normalQuantile(1 - alpha, 0, 1);
  const zb = normalQuantile(power, 0, 1);
  const p1 = 0.5 + drop;
  return Math.ceil(((za * 0.5 + zb * Math.sqrt(p1 * (1 - p1))) / drop) ** 2);
}

function poisson(mean: number, next: () => number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = next();
  while (p > limit) {
    k += 1;
    p *= next();
  }
  return k;
}

export interface FalseAlarmOptions {
  rollouts: number;
  looks: number;
  /** non-tie judgments per hour, on average */
  perHour: number;
  alpha: number;
}

export function measureFalseAlarms(options: FalseAlarmOptions): Record<string, unknown> {
  const next = seededRandom(20261202);
  const threshold = logThreshold(options.alpha);
  let sequentialAlarms = 0;
  let fixedAlarms = 0;
  let fixedAlarmsOnce = 0;
  for (let r = 0; r < options.rollouts; r++) {
    let worse = 0;
    let n = 0;
    let sequential = false;
    let fixed = false;
    for (let look = 0; look < options.looks; look++) {
      const judged = poisson(options.perHour, next);
      for (let i = 0; i < judged; i++) if (next() < 0.5) worse += 1;
      n += judged;
      if (!sequential && logEvidenceAbove(worse, n, 0.5) >= threshold) sequential = true;
      if (!fixed && n > 0 && binomialUpperTail(worse, n, 0.5) < options.alpha) fixed = true;
    }
    if (sequential) sequentialAlarms += 1;
    if (fixed) fixedAlarms += 1;
    // The same test looked at once, at the end: its false-alarm rate is alpha, as designed.
    if (n > 0 && binomialUpperTail(worse, n, 0.5) < options.alpha) fixedAlarmsOnce += 1;
  }
  const rate = (count: number): number => count / options.rollouts;
  return {
    rollouts: options.rollouts,
    looks: options.looks,
    judgmentsPerHour: options.perHour,
    alpha: options.alpha,
    sequentialFalseAlarmRate: rate(sequentialAlarms),
    fixedSampleLookedHourlyFalseAlarmRate: rate(fixedAlarms),
    fixedSampleLookedOnceFalseAlarmRate: rate(fixedAlarmsOnce),
    sequentialWithinAlpha: rate(sequentialAlarms) <= options.alpha,
    hourlyFixedOverAlpha: rate(fixedAlarms) / options.alpha,
  };
}

export function measurePower(options: { rollouts: number; alpha: number; drop: number; power: number }): Record<string, unknown> {
  const next = seededRandom(7);
  const threshold = logThreshold(options.alpha);
  const stops: number[] = [];
  for (let r = 0; r < options.rollouts; r++) {
    let worse = 0;
    for (let n = 1; n <= 20_000; n++) {
      if (next() < 0.5 + options.drop) worse += 1;
      if (logEvidenceAbove(worse, n, 0.5) >= threshold) {
        stops.push(n);
        break;
      }
    }
  }
  stops.sort((a, b) => a - b);
  const quantile = (q: number): number => stops[Math.min(stops.length - 1, Math.ceil(q * options.rollouts) - 1)] ?? Number.NaN;
  // Fixed sample, one-sided test of ½ against ½ + drop at this power (normal approximation).
  const fixed = harmSampleSize(options.drop, options.alpha, options.power);
  const sequential = quantile(options.power);
  return {
    drop: options.drop,
    alpha: options.alpha,
    power: options.power,
    nonTieJudgmentsSequential: sequential,
    nonTieJudgmentsMedianSequential: quantile(0.5),
    nonTieJudgmentsFixedSample: fixed,
    sequentialOverFixed: sequential / fixed,
  };
}
