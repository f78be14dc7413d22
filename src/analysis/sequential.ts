// Anytime-valid tests for a proportion, from counts alone (so they fit in workflow state and
// replay exactly). A rollout is looked at every interval for weeks: a fixed-sample p-value checked
// that often raises false alarms far above its alpha. These e-values do not: each is a
// beta-binomial mixture likelihood ratio, a nonnegative supermartingale under its null, so by
// Ville's inequality the chance it ever reaches 1/alpha under the null is at most alpha.
import betainc from '@stdlib/math-base-special-betainc';
import betaln from '@stdlib/math-base-special-betaln';

export interface BetaPrior {
  a: number;
  b: number;
}

/** A flat prior: every proportion equally plausible a priori. */
export const FLAT: BetaPrior = { a: 1, b: 1 };

const log = Math.log;

/** log of the Bernoulli likelihood of k successes in n at p. */
function logLikelihood(k: number, n: number, p: number): number {
  const success = k === 0 ? 0 : k * log(p);
  const failure = n - k === 0 ? 0 : (n - k) * log(1 - p);
  return success + failure;
}

/** log ∫ p^k (1-p)^(n-k) Beta(p; a, b) dp over (p0, 1] (upper) or [0, p0) (lower), prior renormalised to that side. */
function logMixture(k: number, n: number, p0: number, prior: BetaPrior, side: 'upper' | 'lower'): number {
  const upper = side === 'upper';
  const posteriorMass = betainc(p0, prior.a + k, prior.b + n - k, true, upper);
  const priorMass = betainc(p0, prior.a, prior.b, true, upper);
  return betaln(prior.a + k, prior.b + n - k) + log(posteriorMass) - betaln(prior.a, prior.b) - log(priorMass);
}

/**
 * log e-value against H0: p ≤ p0 (evidence that the proportion is above p0), after k successes in
 * n trials. The prior sits on the alternative (p0, 1]; for every p ≤ p0 the mixture ratio is a
 * supermartingale, so the composite null is covered.
 */
export function logEvidenceAbove(k: number, n: number, p0: number, prior: BetaPrior = FLAT): number {
  if (n === 0) return 0;
  if (p0 <= 0) return Number.NEGATIVE_INFINITY; // nothing is below 0: no evidence can be needed or found
  if (p0 >= 1) return Number.NEGATIVE_INFINITY;
  return logMixture(k, n, p0, prior, 'upper') - logLikelihood(k, n, p0);
}

/** log e-value against H0: p ≥ p0 (evidence that the proportion is below p0). */
export function logEvidenceBelow(k: number, n: number, p0: number, prior: BetaPrior = FLAT): number {
  if (n === 0) return 0;
  if (p0 <= 0 || p0 >= 1) return Number.NEGATIVE_INFINITY;
  return logMixture(k, n, p0, prior, 'lower') - logLikelihood(k, n, p0);
}

/** The threshold an e-value must reach: 1/alpha, as a log. */
export const logThreshold = (alpha: number): number => -log(alpha);

/**
 * A confidence sequence for a proportion: every p whose two-sided mixture e-value stays below 1/alpha.
 * Valid at every look, like the tests above. Returns [low, high].
 */
export function confidenceSequence(k: number, n: number, alpha: number, prior: BetaPrior = FLAT): [number, number] {
  if (n === 0) return [0, 1];
  const logMix = betaln(prior.a + k, prior.b + n - k) - betaln(prior.a, prior.b);
  const excluded = (p: number): boolean => logMix - logLikelihood(k, n, p) >= logThreshold(alpha);
  const mle = k / n;
  // The ratio falls away from the MLE on each side: bisect for the crossing.
  const edge = (inside: number, outside: number): number => {
    if (!excluded(outside)) return outside;
    let [lo, hi] = [inside, outside];
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (excluded(mid)) hi = mid;
      else lo = mid;
    }
    return lo;
  };
  const clamp = (p: number): number => Math.min(1 - 1e-12, Math.max(1e-12, p));
  return [edge(clamp(mle), 1e-12), edge(clamp(mle), 1 - 1e-12)].map((p) => (p <= 1e-12 ? 0 : p >= 1 - 1e-12 ? 1 : p)) as [number, number];
}

/** One-sided exact binomial p-value P(X ≥ k | n, p). For fixed-sample tests (the QA gate's flips, a single look). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // P(X ≥ k) = I_p(k, n - k + 1)
  return betainc(p, k, n - k + 1, true, false);
}
