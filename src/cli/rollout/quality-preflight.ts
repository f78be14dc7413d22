// Checks of a spec's quality block before anything starts — the safety table parses, the eval set
// parses, the judge answers — and the planning figures a release engineer should see first.
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { QualitySpec } from '../../config/quality-spec';
import { loadSafetyTable } from '../../config/safety-table';
import { GantryError } from '../../errors';
import { parseEvalSuite } from '../../analysis/eval-suite';
import { fixedSampleSize, sequentialSampleSize } from '../../analysis/sample-size';

async function judgeAnswers(endpoint: string, apiKeyEnv: string | undefined): Promise<void> {
  const apiKey = apiKeyEnv ? process.env[apiKeyEnv] : undefined;
  try {
    const response = await request(`${endpoint.replace(/\/$/, '')}/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    await response.body.dump();
    if (response.statusCode >= 300) throw new Error(`GET /models answered ${response.statusCode}`);
  } catch (error) {
    throw new GantryError('INVALID_SPEC', `quality.judge.endpoint: cannot reach ${endpoint}: ${(error as Error).message}`);
  }
}

export async function qualityPreflight(quality: QualitySpec): Promise<void> {
  if (quality.safetyTable) loadSafetyTable(quality.safetyTable);
  if (quality.evalSet) {
    let text: string;
    try {
      text = readFileSync(quality.evalSet.suite, 'utf8');
    } catch {
      throw new GantryError('EVAL_SUITE_INVALID', `quality.evalSet.suite: eval suite not found: ${quality.evalSet.suite}`);
    }
    try {
      parseEvalSuite(text, quality.evalSet.suite);
    } catch (error) {
      throw new GantryError('EVAL_SUITE_INVALID', `quality.evalSet.suite: ${(error as Error).message}`);
    }
  }
  const judge = quality.judge;
  if (judge?.apiKeyEnv && !process.env[judge.apiKeyEnv]) throw new GantryError('INVALID_SPEC', `quality.judge.apiKeyEnv: ${judge.apiKeyEnv} is not set`);
  if (judge?.endpoint) await judgeAnswers(judge.endpoint, judge.apiKeyEnv);
  if (judge?.audit.examples) {
    try {
      readFileSync(judge.audit.examples, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .forEach((l) => JSON.parse(l) as unknown);
    } catch (error) {
      throw new GantryError('INVALID_SPEC', `quality.judge.audit.examples: ${judge.audit.examples}: ${(error as Error).message}`);
    }
  }
}

/** What each paired metric needs before it can pass, in words. */
export function qualityPlan(quality: QualitySpec): string[] {
  const lines: string[] = [];
  for (const metric of quality.metrics) {
    if (metric.kind === 'judge') {
      const fixed = fixedSampleSize(metric.margin, quality.alpha);
      const sequential = sequentialSampleSize(metric.margin, quality.alpha);
      lines.push(
        `quality ${metric.name}: a ${Math.round(metric.margin * 100)}-point margin needs about ${fixed} non-tie judgments (fixed sample, 80% power, alpha ${quality.alpha}); ` +
          `the anytime-valid test used here reaches a verdict after about ${sequential ?? 'more than a million'} when the candidate is as good as the stable (min ${metric.minN})`,
      );
    } else if (metric.kind === 'equivalence') {
      lines.push(
        `quality ${metric.name}: equivalent answers within ${Math.round(metric.margin * 100)} points of the route's noise floor (${Math.round(quality.aaRate * 100)}% of the stable's answers asked again)` +
          `${metric.minShare !== undefined ? ` and at least ${Math.round(metric.minShare * 100)}%` : ''}, or differences a judge of worse explains; at least ${metric.minN} pairs`,
      );
    } else if (metric.kind === 'likelihood') {
      lines.push(
        `quality ${metric.name}: the stable reads both answers of each differing pair; pairs it finds ${metric.worseBelow} nat/token less likely at most ${Math.round(metric.margin * 100)} points above the floor's share; at least ${metric.minN} pairs`,
      );
    } else if (metric.kind === 'failures' || metric.kind === 'safety') {
      lines.push(`quality ${metric.name}: at least ${metric.minN} ${metric.kind === 'safety' ? 'answers' : 'pairs'} before it can pass`);
    } else if (metric.kind === 'eval-flips') {
      lines.push(`quality ${metric.name}: the eval set needs at least ${metric.minN} cases`);
    } else {
      lines.push(`quality ${metric.name}: ${metric.minN} expert ratings (gantry pairs export / gantry ratings import)`);
    }
  }
  return lines;
}
