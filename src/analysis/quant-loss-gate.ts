// The quantization-loss gate: what quantizing cost, held against the spec's thresholds. Pure, so
// the workflow and the status view judge the same figures the same way.
import type { QuantLossRules } from '../config/spec';
import type { QuantLossResult } from './quant-loss';

export interface QuantLossVerdict {
  /** false only when a measured figure breaks a threshold; an unmeasured loss is noted, not failed */
  passed: boolean;
  /** one line per broken threshold, e.g. "mean KLD 0.469 > 0.05" */
  failures: string[];
  summary: string;
}

/** Four decimals, or two significant digits for the tiny figures a faithful quantization gives. */
const fixed = (value: number, digits = 4): string =>
  value !== 0 && Math.abs(value) < 10 ** -(digits - 1) ? value.toPrecision(2) : String(Number(value.toFixed(digits)));

export function describeQuantLoss(loss: QuantLossResult): string {
  if (!loss.measured) return `quantization loss not measured: ${loss.reason}`;
  return (
    `mean KLD ${fixed(loss.kldMean)}, p99 KLD ${fixed(loss.kldP99)}, same top token ${(loss.sameTop * 100).toFixed(1)}%, ` +
    `perplexity ${fixed(loss.pplArtifact, 3)} vs ${fixed(loss.pplSource, 3)} (×${fixed(loss.pplRatio, 4)})`
  );
}

export function judgeQuantLoss(loss: QuantLossResult, rules: QuantLossRules): QuantLossVerdict {
  if (!loss.measured) return { passed: true, failures: [], summary: describeQuantLoss(loss) };
  const failures: string[] = [];
  if (rules.maxKldMean !== undefined && loss.kldMean > rules.maxKldMean) failures.push(`mean KLD ${fixed(loss.kldMean)} > ${rules.maxKldMean}`);
  if (rules.maxKldP99 !== undefined && loss.kldP99 > rules.maxKldP99) failures.push(`p99 KLD ${fixed(loss.kldP99)} > ${rules.maxKldP99}`);
  if (rules.minSameTop !== undefined && loss.sameTop < rules.minSameTop)
    failures.push(`same top token ${(loss.sameTop * 100).toFixed(1)}% < ${(rules.minSameTop * 100).toFixed(1)}%`);
  if (rules.maxPplRatio !== undefined && loss.pplRatio > rules.maxPplRatio) failures.push(`perplexity ratio ${fixed(loss.pplRatio, 4)} > ${rules.maxPplRatio}`);
  const summary = describeQuantLoss(loss) + (failures.length ? ` — over the limits: ${failures.join('; ')}` : ' — within the limits');
  return { passed: failures.length === 0, failures, summary };
}
