// The statistics of src/analysis against reference values SciPy computed (scripts/quality-fixtures.py,
// committed as test/fixtures/statistics.json): e-values by closed form and by quadrature, confidence
// sequences, the exact sign test, Mann-Whitney with the Hodges-Lehmann shift, planning sample sizes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/config/toolchain';
import { binomialUpperTail, confidenceSequence, logEvidenceAbove, logEvidenceBelow } from '../../src/analysis/sequential';
import { latencyShift } from '../../src/analysis/mann-whitney';
import { fixedSampleSize } from '../../src/analysis/sample-size';
import type { Histogram } from '../../src/analysis/histogram';

interface Fixtures {
  evidence: { k: number; n: number; p0: number; side: 'above' | 'below'; logE: number; logEQuadrature: number }[];
  confidenceSequences: { k: number; n: number; alpha: number; interval: [number, number] }[];
  binomialTails: { k: number; n: number; p: number; upperTail: number }[];
  latencyShifts: {
    stable: Record<string, number>;
    candidate: Record<string, number>;
    confidence: number;
    pValue: number;
    shiftMs: number;
    interval: [number, number];
  }[];
  sampleSizes: { margin: number; alpha: number; power: number; n: number }[];
}

const fixtures = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/statistics.json'), 'utf8')) as Fixtures;
const close = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs SciPy ${expected}`);

const histogramOf = (counts: Record<string, number>): Histogram => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const sumMs = Object.entries(counts).reduce((sum, [i, c]) => sum + 1.1 ** Number(i) * c, 0);
  return { counts, total, sumMs };
};

describe('statistics against SciPy', () => {
  it('beta-binomial mixture e-values match the closed form and the quadrature', () => {
    for (const e of fixtures.evidence) {
      const ours = e.side === 'above' ? logEvidenceAbove(e.k, e.n, e.p0) : logEvidenceBelow(e.k, e.n, e.p0);
      close(ours, e.logE, 1e-8, `log E ${e.side} ${e.k}/${e.n} vs ${e.p0}`);
      close(ours, e.logEQuadrature, 1e-6, `log E ${e.side} ${e.k}/${e.n} vs ${e.p0} by quadrature`);
    }
  });
  it('confidence sequences match', () => {
    for (const c of fixtures.confidenceSequences) {
      const [lo, hi] = confidenceSequence(c.k, c.n, c.alpha);
      close(lo, c.interval[0], 1e-6, `low ${c.k}/${c.n}`);
      close(hi, c.interval[1], 1e-6, `high ${c.k}/${c.n}`);
    }
  });
  it('the exact sign test matches the binomial survival function', () => {
    for (const t of fixtures.binomialTails) close(binomialUpperTail(t.k, t.n, t.p), t.upperTail, 1e-12, `P(X ≥ ${t.k} | ${t.n})`);
  });
  it('Mann-Whitney, the Hodges-Lehmann shift and its interval match on binned latencies', () => {
    for (const s of fixtures.latencyShifts) {
      const ours = latencyShift(histogramOf(s.stable), histogramOf(s.candidate), s.confidence);
      assert.ok(ours);
      close(ours.pValue, s.pValue, 1e-6, 'p-value');
      close(ours.shiftMs, s.shiftMs, 1e-9, 'shift');
      close(ours.interval[0], s.interval[0], 1e-9, 'interval low');
      close(ours.interval[1], s.interval[1], 1e-9, 'interval high');
    }
  });
  it('planning sample sizes match the normal-approximation formula', () => {
    for (const s of fixtures.sampleSizes) assert.equal(fixedSampleSize(s.margin, s.alpha, s.power), s.n);
  });
});
