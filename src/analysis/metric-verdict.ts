// One custom metric's measurement judged: Pass or Fail by its condition, Inconclusive when the
// query found no sample, Error when it could not be taken. Counts in a row decide what happens:
// failureLimit Fails roll back; consecutiveErrorLimit Errors or inconclusiveLimit Inconclusives
// pause and alert (a metric nobody can read must not fly the rollout blind, nor roll it back).
import type { MetricRule } from '../config/metric-rules';
import { evaluateCondition, parseCondition } from '../config/metric-condition';
import type { Verdict } from './interval-verdict';

/** What reading the query gave: a value, no sample, or why it could not be read. */
export type MetricReading = { value: number | null } | { error: string };

export interface MetricStanding {
  name: string;
  at: number;
  value: number | null;
  verdict: Verdict;
  detail: string;
  consecutiveFailures: number;
  consecutiveErrors: number;
  consecutiveInconclusive: number;
}

/**
 * rollback (emergency: at once, alerting EMERGENCY); pause (and alert); warn: notify only. A
 * warning acts once per streak of failures, when the streak reaches the limit.
 */
export type MetricAction = { kind: 'rollback' | 'pause' | 'warn'; reason: string; emergency?: boolean } | null;

/** The query with its placeholders filled: {{route}}, {{rolloutId}}, {{interval}} (a PromQL duration). */
export function renderQuery(query: string, values: { route: string; rolloutId: string; intervalMs: number }): string {
  const interval = `${Math.max(1, Math.round(values.intervalMs / 1000))}s`;
  return query.replaceAll('{{route}}', values.route).replaceAll('{{rolloutId}}', values.rolloutId).replaceAll('{{interval}}', interval);
}

function conditionText(rule: MetricRule): string {
  return rule.successCondition !== undefined ? `success when ${rule.successCondition}` : `failure when ${rule.failureCondition ?? ''}`;
}

export function judgeMetric(rule: MetricRule, reading: MetricReading): { verdict: Verdict; value: number | null; detail: string } {
  if ('error' in reading) return { verdict: 'Error', value: null, detail: `${rule.name}: not measured: ${reading.error}` };
  const value = reading.value;
  if (value === null || Number.isNaN(value)) return { verdict: 'Inconclusive', value: null, detail: `${rule.name}: no sample (${conditionText(rule)})` };
  const text = rule.successCondition ?? rule.failureCondition ?? '';
  const parsed = parseCondition(text);
  // The spec loader refused a condition that does not parse; a history from elsewhere is judged Error.
  if (!parsed.ok) return { verdict: 'Error', value, detail: `${rule.name}: ${parsed.error}` };
  const holds = evaluateCondition(parsed.condition, value);
  const pass = rule.successCondition !== undefined ? holds : !holds;
  return { verdict: pass ? 'Pass' : 'Fail', value, detail: `${rule.name} = ${formatValue(value)} (${conditionText(rule)})` };
}

/** The standing after one more measurement: counts in a row, reset by any other verdict. */
export function nextStanding(previous: MetricStanding | undefined, judged: ReturnType<typeof judgeMetric>, name: string, at: number): MetricStanding {
  const inRow = (verdict: Verdict, count: number | undefined): number => (judged.verdict === verdict ? (count ?? 0) + 1 : 0);
  return {
    name,
    at,
    value: judged.value,
    verdict: judged.verdict,
    detail: judged.detail,
    consecutiveFailures: inRow('Fail', previous?.consecutiveFailures),
    consecutiveErrors: inRow('Error', previous?.consecutiveErrors),
    consecutiveInconclusive: inRow('Inconclusive', previous?.consecutiveInconclusive),
  };
}

/** What a standing asks for, once its count reaches the rule's limit. */
export function actionFor(rule: MetricRule, standing: MetricStanding): MetricAction {
  const failures = standing.consecutiveFailures;
  const failed = `${standing.detail}: failed ${failures} time${failures > 1 ? 's' : ''} in a row`;
  if (rule.severity === 'emergency' && failures >= 1) return { kind: 'rollback', reason: `${failed} (severity emergency)`, emergency: true };
  if (rule.severity === 'warning' && failures === rule.failureLimit) {
    return { kind: rule.pauseOnWarning ? 'pause' : 'warn', reason: `${failed} (failureLimit ${rule.failureLimit}, severity warning)` };
  }
  if (rule.severity === 'critical' && failures >= rule.failureLimit) return { kind: 'rollback', reason: `${failed} (failureLimit ${rule.failureLimit})` };
  if (standing.consecutiveErrors >= rule.consecutiveErrorLimit) {
    return { kind: 'pause', reason: `${standing.detail} (${standing.consecutiveErrors} in a row, consecutiveErrorLimit ${rule.consecutiveErrorLimit})` };
  }
  if (standing.consecutiveInconclusive >= rule.inconclusiveLimit) {
    return { kind: 'pause', reason: `${standing.detail} (${standing.consecutiveInconclusive} in a row, inconclusiveLimit ${rule.inconclusiveLimit})` };
  }
  return null;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
