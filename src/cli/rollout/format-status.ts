// Human-readable rollout status: one screen an operator can read at a glance.
import type { RolloutStatus } from '../../workflows/state/status-view';
import { formatDuration } from '../../config/duration';
import { errorRate, p95, type VariantStats } from '../../analysis/stats';
import { evidenceOf } from '../../analysis/promotion-decision';
import { tokensPerSecond, ttftP95 } from '../../analysis/answer-figures';

const pct = (v: number | undefined): string => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
const msText = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)}ms`);

export function variantLine(name: string, stats: VariantStats): string {
  const line = `${name.padEnd(10)} ${String(stats.requests).padStart(7)} req  errors ${pct(errorRate(stats)).padStart(6)}  p95 ${msText(p95(stats)).padStart(7)}`;
  // The answers' speed where it was measured: first token of streamed answers, tokens per second.
  const ttft = ttftP95(stats);
  const speed = tokensPerSecond(stats);
  return line + (ttft === undefined ? '' : `  TTFT p95 ${msText(ttft)}`) + (speed === undefined ? '' : `  ${speed.toFixed(1)} tokens/s`);
}

/** A one-line summary for `watch`: phase, step, weights, time left, last verdict. */
export function progressLine(status: RolloutStatus, now: number): string {
  const parts: string[] = [status.paused ? `${status.phase} (PAUSED by ${status.paused.by})` : status.phase];
  if (status.phase === 'Canary') parts.push(`step ${status.step + 1}/${status.steps}`);
  parts.push(`weight ${status.weight}%`);
  if (status.shadowRate > 0) parts.push(`shadow ${Math.round(status.shadowRate * 100)}%`);
  if (status.wait?.kind === 'eval-set') parts.push('eval set running');
  else if (status.waitUntil) parts.push(`${formatDuration(Math.max(0, status.waitUntil - now))} left`);
  if (status.lastVerdict) parts.push(`last check ${status.lastVerdict.verdict}: ${status.lastVerdict.summary}`);
  return parts.join(' | ');
}

export function formatStatus(status: RolloutStatus, now: number, link: string): string {
  const lines = [
    `rollout   ${status.rolloutId}  (route ${status.route})`,
    `phase     ${status.phase}${status.outcome && status.outcome !== status.phase ? `  → ${status.outcome}` : ''}`,
    `progress  ${progressLine(status, now)}`,
  ];
  if (status.waitingFor) lines.push(`waiting   for ${status.waitingFor}`);
  if (status.reason) lines.push(`reason    ${status.reason}`);
  for (const warning of status.warnings) lines.push(`WARNING   ${warning}`);
  if (status.stable) {
    const where = status.stable.kind === 'managed' ? `${status.stable.deploymentId ?? ''} on host ${status.stable.host ?? ''}` : 'external';
    lines.push(`stable    ${status.stable.endpoint} (${where}; ${status.stable.found} at the stable check)`);
  }
  if (status.artifact)
    lines.push(
      `artifact  ${status.artifact.path} (${(status.artifact.sizeBytes / 1e6).toFixed(1)} MB, sha256 ${status.artifact.sha256.slice(0, 16)}…${status.artifact.reused ? ', reused' : ''})`,
    );
  if (status.quantLoss) lines.push(`quant loss ${status.quantLoss.verdict.passed ? '' : 'FAIL '}${status.quantLoss.verdict.summary}`);
  if (status.qa) lines.push(...qaLines(status.qa));
  if (status.candidate) lines.push(`candidate ${status.candidate.endpoint} on host ${status.candidate.host}`);
  if (status.kept) {
    const { kept } = status;
    const state = kept.ended ?? `serving until ${new Date(kept.until).toISOString()} (gantry rollout revert ${status.rolloutId} --reason …)`;
    lines.push(`previous  ${kept.deploymentId} at ${kept.endpoint}: ${state}`);
  }
  if (status.shadowTotals.shadow.requests > 0) {
    lines.push(
      'shadow    ' + variantLine('stable', status.shadowTotals.stable),
      '          ' + variantLine('mirrored', status.shadowTotals.shadow),
      `          ${status.shadowTotals.pairs} pairs recorded, ${status.shadowTotals.shadowDropped} mirrors dropped`,
    );
  }
  if (status.canaryTotals.candidate.requests + status.canaryTotals.stable.requests > 0) {
    lines.push('canary    ' + variantLine('stable', status.canaryTotals.stable), '          ' + variantLine('candidate', status.canaryTotals.candidate));
  }
  if (status.excludedWindows > 0) lines.push(`          ${status.excludedWindows} analysis windows left out of the totals: the stable was unhealthy`);
  if (status.quality) lines.push(...qualityLines(status.quality));
  if (status.evaluation) {
    const evidence = evidenceOf(status.evaluation);
    lines.push(`evaluation ${evidence === 'promote' ? 'PROMOTE' : evidence === 'inconclusive' ? 'INCONCLUSIVE: not enough evidence' : 'ROLL BACK'}`);
    for (const check of status.evaluation.checks) lines.push(`  ${check.ok === true ? 'ok  ' : check.ok === false ? 'FAIL' : 'n/a '} ${check.detail}`);
  }
  if (status.metrics.length) {
    lines.push('metrics');
    for (const metric of status.metrics) lines.push(`  ${metric.verdict.padEnd(12)} ${metric.detail}${metricCounts(metric)}`);
  }
  if (status.audit.length) {
    lines.push('audit');
    for (const entry of status.audit) lines.push(`  ${new Date(entry.at).toISOString()}  ${entry.by}: ${entry.action} — ${entry.reason}`);
  }
  lines.push(`Web UI    ${link}`);
  return lines.join('\n');
}

function metricCounts(metric: RolloutStatus['metrics'][number]): string {
  const inRow = [
    [metric.consecutiveFailures, 'failed'],
    [metric.consecutiveErrors, 'not measured'],
    [metric.consecutiveInconclusive, 'without a sample'],
  ] as const;
  const counted = inRow.filter(([count]) => count > 1).map(([count, what]) => `${count}× ${what} in a row`);
  return counted.length ? ` (${counted.join(', ')})` : '';
}

/** Both accuracies, the flips and the weighted score, as the QA gate judged the artifact. */
export function qaLines(qa: NonNullable<RolloutStatus['qa']>): string[] {
  const verdict = qa.decision === 'review' ? 'REVIEW (an operator must approve)' : qa.passedGate ? 'pass' : 'FAIL';
  const lines = [`QA        ${qa.passed}/${qa.cases} passed, accuracy ${pct(qa.accuracy)}, p95 ${msText(qa.p95Ms ?? undefined)} → ${verdict}`];
  if (qa.stable) {
    const delta = qa.accuracyDelta;
    const low = delta?.interval[0] ?? 0;
    const high = delta?.interval[1] ?? 0;
    const interval = delta ? ` (${(delta.estimate * 100).toFixed(1)} points, ${(low * 100).toFixed(1)} to ${(high * 100).toFixed(1)})` : '';
    lines.push(`          stable ${qa.stable.passed}/${qa.stable.cases}, accuracy ${pct(qa.stable.accuracy)}${interval}`);
  }
  if (qa.flips)
    lines.push(`          flips right→wrong ${qa.flips.rightToWrong}, wrong→right ${qa.flips.wrongToRight} (exact sign test p=${qa.flips.pValue.toFixed(3)})`);
  if (qa.score)
    lines.push(`          score ${qa.score.value.toFixed(1)} (${qa.score.band})${qa.extraMonitoring ? ': the next phase is analysed twice as often' : ''}`);
  return lines;
}

const STATUS_WORD: Record<string, string> = { PASS: 'PASS', FAIL: 'FAIL', CONTINUE: 'CONT', 'NO DATA': 'NODATA' };

/** Each quality metric with its estimate, interval and n, as the rollout last judged it. */
export function qualityLines(quality: NonNullable<RolloutStatus['quality']>): string[] {
  const { shadow, canary } = quality.totals;
  const lines = [`quality   ${quality.scored} pairs scored (shadow ${shadow.pairs}, canary ${canary.pairs}); judge calls ${quality.judge.calls}`];
  if (quality.judge.audit)
    lines.push(
      `          judge ${quality.judge.audit.identity}: ${quality.judge.audit.passed ? 'passed' : 'FAILED'} its audit (${quality.judge.audit.summary})`,
    );
  for (const verdict of quality.verdicts)
    lines.push(`  ${(STATUS_WORD[verdict.status] ?? verdict.status).padEnd(6)} ${verdict.critical ? '' : '(not critical) '}${verdict.summary}`);
  return lines;
}
