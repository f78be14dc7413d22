#!/usr/bin/env python3
"""Reference values for Gantry's statistics, computed with SciPy, committed as JSON.

The TypeScript implementations in src/analysis/ (sequential e-values, confidence sequences, the
exact sign test, Mann-Whitney with the Hodges-Lehmann shift, planning sample sizes) are checked
against this file by test/unit/statistics-fixtures.test.ts. Regenerate only when a definition changes:

    python3 -m venv /tmp/scipy && /tmp/scipy/bin/pip install scipy==1.16.3 numpy
    /tmp/scipy/bin/python scripts/quality-fixtures.py > test/fixtures/statistics.json
"""
import json
import math

import numpy as np
from scipy import integrate, optimize, special, stats


def log_evidence(k, n, p0, side, a=1.0, b=1.0):
    """log of the beta-binomial mixture likelihood ratio with the prior truncated to one side of p0."""
    upper = side == "above"
    posterior = special.betaincc(a + k, b + n - k, p0) if upper else special.betainc(a + k, b + n - k, p0)
    prior = special.betaincc(a, b, p0) if upper else special.betainc(a, b, p0)
    mixture = special.betaln(a + k, b + n - k) + math.log(posterior) - special.betaln(a, b) - math.log(prior)
    return mixture - (k * math.log(p0) + (n - k) * math.log(1 - p0))


def log_evidence_by_quadrature(k, n, p0, side):
    """The same quantity by numerical integration of the likelihood ratio over the prior."""
    lo, hi = (p0, 1.0) if side == "above" else (0.0, p0)
    ratio = lambda p: math.exp(k * math.log(p / p0) + (n - k) * math.log((1 - p) / (1 - p0)))
    value, _ = integrate.quad(ratio, lo, hi, limit=200, points=[k / n] if lo < k / n < hi else None)
    return math.log(value / (hi - lo))


def confidence_sequence(k, n, alpha):
    log_mix = special.betaln(1 + k, 1 + n - k) - special.betaln(1, 1)
    f = lambda p: log_mix - (k * math.log(p) + (n - k) * math.log(1 - p)) - math.log(1 / alpha)
    mle = min(max(k / n, 1e-12), 1 - 1e-12)
    low = 0.0 if f(1e-12) < 0 else optimize.brentq(f, 1e-12, mle)
    high = 1.0 if f(1 - 1e-12) < 0 else optimize.brentq(f, mle, 1 - 1e-12)
    return [low, high]


def bucket_index(value_ms):
    if value_ms <= 1:
        return 0
    return min(math.ceil(math.log(value_ms) / math.log(1.1)), 132)


def histogram(samples):
    counts = {}
    for value in samples:
        key = str(bucket_index(value))
        counts[key] = counts.get(key, 0) + 1
    return counts


def expanded(counts):
    return np.array([1.1 ** int(i) for i, c in counts.items() for _ in range(c)])


def moses_interval(x, y, confidence):
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    n, m = len(x), len(y)
    combined = np.concatenate([x, y])
    _, tie_counts = np.unique(combined, return_counts=True)
    N = n + m
    variance = n * m / 12 * ((N + 1) - np.sum(tie_counts**3 - tie_counts) / (N * (N - 1)))
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    k = max(0, math.floor(n * m / 2 - z * math.sqrt(variance)))
    return [float(diffs[min(len(diffs), k + 1) - 1]), float(diffs[max(1, len(diffs) - k) - 1])], float(np.median(diffs))


def main():
    evidence = []
    for k, n, p0 in [(7, 7, 0.5), (11, 14, 0.5), (50, 100, 0.5), (0, 200, 0.1), (3, 90, 0.05), (40, 60, 0.6), (120, 300, 0.6), (5, 1000, 0.01)]:
        for side in ("above", "below"):
            value = log_evidence(k, n, p0, side)
            evidence.append({"k": k, "n": n, "p0": p0, "side": side, "logE": value, "logEQuadrature": log_evidence_by_quadrature(k, n, p0, side)})
    sequences = [{"k": k, "n": n, "alpha": 0.05, "interval": confidence_sequence(k, n, 0.05)} for k, n in [(30, 100), (0, 50), (10, 10), (273, 318), (1, 3)]]
    tails = [{"k": k, "n": n, "p": 0.5, "upperTail": float(stats.binom.sf(k - 1, n, 0.5))} for k, n in [(11, 14), (7, 7), (5, 10), (0, 4), (1, 7)]]
    rng = np.random.default_rng(20261202)
    shifts = []
    for stable_mu, candidate_mu, size in [(200, 200, 300), (200, 230, 400), (500, 450, 250), (120, 180, 60)]:
        stable = histogram(rng.lognormal(math.log(stable_mu), 0.3, size))
        candidate = histogram(rng.lognormal(math.log(candidate_mu), 0.3, size))
        x, y = expanded(candidate), expanded(stable)
        test = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
        interval, shift = moses_interval(x, y, 0.98)
        shifts.append({"stable": stable, "candidate": candidate, "confidence": 0.98, "pValue": float(test.pvalue), "shiftMs": shift, "interval": interval})
    sizes = []
    for margin in (0.05, 0.1, 0.2):
        p0, p1 = 0.5 + margin, 0.5
        za, zb = stats.norm.ppf(0.95), stats.norm.ppf(0.8)
        sizes.append({"margin": margin, "alpha": 0.05, "power": 0.8, "n": math.ceil(((za * math.sqrt(p0 * (1 - p0)) + zb * math.sqrt(p1 * (1 - p1))) / (p0 - p1)) ** 2)})
    print(json.dumps({"generatedBy": "scripts/quality-fixtures.py", "scipy": __import__("scipy").__version__, "evidence": evidence, "confidenceSequences": sequences, "binomialTails": tails, "latencyShifts": shifts, "sampleSizes": sizes}, indent=1))


if __name__ == "__main__":
    main()
