// The one owner of a rollout's state: every change goes through a named transition here, so the
// state stays consistent and every change is easy to find. Everyone else reads `state`, which the
// type system keeps read-only.
import type { QaReport } from '../../analysis/qa-gate';
import type { PromotionDecision } from '../../analysis/promotion-decision';
import type { UpstreamProbe } from '../../analysis/baseline-health';
import { mergeWindows, type TrafficWindow } from '../../analysis/stats';
import type { Deployment, ModelArtifact } from '../../activities/model-host';
import type { QuantLossResult } from '../../adapters/llama-perplexity';
import type { QuantLossVerdict } from '../../analysis/quant-loss-gate';
import type { MetricStanding } from '../../analysis/metric-verdict';
import { addPairTotals, emptyPairTotals, type EvalFlips, type JudgeAudit, type PairTotals } from '../../analysis/quality/quality-totals';
import type { MetricVerdict } from '../../analysis/quality/metric-verdicts';
import type { GradualRollback } from './step-down';
import { formatDuration } from '../../config/duration';
import {
  initialQualityState,
  phaseOf,
  type QualityState,
  type AnalysisRecord,
  type AuditEntry,
  type Closing,
  type CommandRecord,
  type KeptStable,
  type Outcome,
  type ReadonlyRolloutState,
  type RolloutState,
  type StableRecord,
  type StageName,
  type WaitState,
} from './rollout-state';

const RECENT_VERDICTS = 10;
const RECENT_COMMANDS = 30;
const TIMELINE_LIMIT = 200;

export type WaitRequest = Pick<WaitState, 'kind' | 'endsOn' | 'durationMs' | 'analysis'> & {
  gateTimeoutMs?: number;
  onTimeout?: 'rollback' | 'hold';
  minPairs?: number;
};

const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

export class StateOwner {
  constructor(
    private readonly s: RolloutState,
    private readonly now: () => number,
  ) {}

  get state(): ReadonlyRolloutState {
    return this.s;
  }

  /** The state to hand to the next run when continuing as new. */
  carry(): RolloutState {
    return structuredCloneJson(this.s);
  }

  note(message: string): void {
    this.s.timeline.push({ at: this.now(), phase: phaseOf(this.s), message });
    if (this.s.timeline.length > TIMELINE_LIMIT) this.s.timeline.splice(0, this.s.timeline.length - TIMELINE_LIMIT);
  }

  audit(entry: Omit<AuditEntry, 'at'>): void {
    this.s.audit.push({ at: this.now(), ...entry });
  }

  /** Enters a stage; returns whether the phase an operator sees changed. */
  enterStage(stage: StageName, message: string): boolean {
    const before = phaseOf(this.s);
    this.s.stage = stage;
    this.note(message);
    return phaseOf(this.s) !== before;
  }

  close(closing: Closing, message: string): void {
    this.s.closing = closing;
    this.note(message);
  }

  /** A gradual rollback begins: the rollout is closing, and its weight goes down level by level. */
  steppingDown(plan: GradualRollback): void {
    this.s.closing = 'RollingBack';
    this.s.gradualRollback = plan;
    // A pause would hold the step-down's clock: a rollback that was decided does not wait for a resume.
    if (this.s.paused) {
      this.note(`the pause by ${this.s.paused.by} ends: the rollback goes on (pause again to hold a level)`);
      this.s.paused = null;
    }
    const hold = formatDuration(plan.holdMs);
    this.note(`roll back gradually (asked by ${plan.by}): ${plan.fromWeight}% → ${plan.levels.join('% → ')}% → 0%, ${hold} each: ${plan.reason}`);
  }

  stepDownLevelDone(): void {
    if (this.s.gradualRollback) this.s.gradualRollback.done += 1;
  }

  finish(outcome: Outcome, reason: string, failureType: string | null): void {
    this.s.wait = null;
    this.s.paused = null;
    this.s.result = { outcome, reason, failureType };
    this.note(`${outcome}: ${reason}`);
  }

  previousKept(kept: Omit<KeptStable, 'ended'>): void {
    this.s.kept = { ...kept, ended: null };
    this.note(`the previous stable ${kept.deploymentId} keeps serving until ${new Date(kept.until).toISOString()}: \`gantry rollout revert\` goes back to it`);
  }

  /** The promotion undone: the outcome becomes RolledBack. */
  reverted(by: string, reason: string): void {
    if (!this.s.kept) return;
    this.s.kept.ended = 'reverted';
    this.s.result = { outcome: 'RolledBack', reason: `reverted after promotion by ${by}: ${reason}`, failureType: null };
    this.note(`RolledBack: the route is back on ${this.s.kept.deploymentId}, and ${this.s.kept.promoted.deploymentId} was stopped`);
  }

  previousReleased(): void {
    if (!this.s.kept) return;
    this.s.kept.ended = 'released';
    this.note(`the keep window ended: the previous stable ${this.s.kept.deploymentId} was stopped`);
  }

  stableChecked(stable: Omit<StableRecord, 'checkedAt'>): void {
    this.s.stable = { ...stable, checkedAt: this.now() };
  }

  qaReported(report: QaReport): void {
    this.s.qa = report;
    this.s.extraMonitoring = report.extraMonitoring === true;
    this.note(`QA: ${report.passed}/${report.cases} passed; ${report.summary}`);
  }

  artifactReady(artifact: ModelArtifact): void {
    this.s.artifact = artifact;
    const reused = artifact.reused ? ', reused: an earlier rollout made it from the same source and type' : '';
    this.note(`artifact ${artifact.path} (${artifact.sizeBytes} bytes, sha256 ${artifact.sha256.slice(0, 12)}…${reused})`);
  }

  quantLossMeasured(result: QuantLossResult, verdict: QuantLossVerdict): void {
    this.s.quantLoss = { result, verdict };
    this.note(`quantization loss: ${verdict.summary}`);
  }

  candidateDeploying(deploymentId: string, host: string): void {
    this.s.candidate = { deploymentId, host, deployment: null };
  }

  candidateServing(deployment: Deployment): void {
    this.s.candidate = { deploymentId: deployment.deploymentId, host: deployment.host, deployment };
    this.note(`candidate serving at ${deployment.endpoint}`);
  }

  trafficSet(weight: number, shadowRate: number): void {
    this.s.weight = weight;
    this.s.shadowRate = shadowRate;
  }

  stepEntered(index: number): void {
    this.s.step = index;
  }

  beginWait(request: WaitRequest): WaitState {
    const now = this.now();
    this.s.wait = {
      kind: request.kind,
      endsOn: request.endsOn,
      durationMs: request.durationMs,
      analysis: request.analysis,
      startedAt: now,
      pausedMs: 0,
      gateTimeoutAt: request.gateTimeoutMs === undefined ? null : now + request.gateTimeoutMs,
      onTimeout: request.onTimeout ?? null,
      minPairs: request.minPairs ?? 0,
      windowStart: floorSecond(now),
      lastAnalysisAt: now,
    };
    return this.s.wait;
  }

  endWait(): void {
    this.s.wait = null;
  }

  /** A gate that timed out with onTimeout: hold keeps waiting, without a deadline. */
  holdAfterGateTimeout(): void {
    if (this.s.wait) this.s.wait.gateTimeoutAt = null;
  }

  /** An analysis begins: the next one is due an interval from now. */
  analysisStarted(): void {
    if (this.s.wait) this.s.wait.lastAnalysisAt = this.now();
  }

  /** The window up to `windowEnd` was collected: the next window starts there. */
  windowCollected(windowEnd: number): void {
    if (this.s.wait) this.s.wait.windowStart = windowEnd;
  }

  stableProbed(probe: UpstreamProbe | null): void {
    this.s.analysis.stableProbe = probe;
  }

  /**
   * Records an interval's verdict and adds its traffic to the phase's totals, unless the stable was
   * too sick to compare with: such windows are left out of every comparison.
   */
  verdictRecorded(record: Omit<AnalysisRecord, 'at' | 'phase' | 'step'>, traffic: TrafficWindow | null, totals: 'shadow' | 'canary' | 'none'): AnalysisRecord {
    const full: AnalysisRecord = { ...record, at: this.now(), phase: phaseOf(this.s), step: this.s.step };
    const analysis = this.s.analysis;
    analysis.count += 1;
    analysis.last = full;
    analysis.recent.push(full);
    if (analysis.recent.length > RECENT_VERDICTS) analysis.recent.shift();
    if (full.verdict === 'Fail') analysis.consecutiveFailures += 1;
    else if (full.verdict === 'Pass') analysis.consecutiveFailures = 0;
    analysis.consecutiveErrors = full.verdict === 'Error' ? analysis.consecutiveErrors + 1 : 0;
    if (traffic && totals !== 'none' && full.baselineHealthy !== false) this.s.totals[totals] = mergeWindows(this.s.totals[totals], traffic);
    if (full.baselineHealthy === false) analysis.excludedWindows += 1;
    return full;
  }

  commandRecorded(record: CommandRecord): void {
    this.s.commands.push(record);
    if (this.s.commands.length > RECENT_COMMANDS) this.s.commands.shift();
  }

  /** An accepted command: audited and on the timeline. */
  commandApplied(by: string, action: string, reason: string, message: string): void {
    this.audit({ by, action, reason: reason || message });
    this.note(message);
  }

  pause(by: string, reason: string): void {
    this.s.paused = { since: this.now(), by, reason };
  }

  resume(): void {
    const { wait, paused } = this.s;
    if (wait && paused) wait.pausedMs += this.now() - Math.max(paused.since, wait.startedAt);
    this.s.paused = null;
  }

  evaluated(decision: PromotionDecision): void {
    this.s.evaluation = decision;
  }

  metricStanding(name: string): MetricStanding | undefined {
    return this.s.metrics?.find((m) => m.name === name);
  }

  /** A custom metric measured: its standing replaces the last one. */
  metricMeasured(standing: MetricStanding): void {
    this.s.metrics = [...(this.s.metrics ?? []).filter((m) => m.name !== standing.name), standing];
  }

  /** An inconclusive evaluation extends the canary once more; returns how many extensions so far. */
  evaluationExtended(): number {
    this.s.evaluationExtensions = (this.s.evaluationExtensions ?? 0) + 1;
    return this.s.evaluationExtensions;
  }

  /** A shadow phase that ended short of pairs goes on; returns how many extensions so far. */
  shadowExtended(): number {
    this.s.shadowExtensions = (this.s.shadowExtensions ?? 0) + 1;
    return this.s.shadowExtensions;
  }

  /** A batch of pairs scored: its counts added once, the cursor moved past it. */
  qualityScored(batch: {
    cursor: string | null;
    scored: number;
    totals: { shadow: PairTotals; canary: PairTotals; floor?: PairTotals };
    judgeCalls: number;
  }): void {
    const q = this.quality();
    q.cursor = batch.cursor;
    q.scored += batch.scored;
    q.totals = {
      shadow: addPairTotals(q.totals.shadow, batch.totals.shadow),
      canary: addPairTotals(q.totals.canary, batch.totals.canary),
      floor: addPairTotals(q.totals.floor ?? emptyPairTotals(), batch.totals.floor ?? emptyPairTotals()),
    };
    this.judgeCalled(batch.judgeCalls);
  }

  /** The route's noise floor as earlier rollouts recorded it: where this rollout's floor starts. */
  floorPriorRead(prior: PairTotals | null): void {
    this.quality().floorPrior = prior;
  }

  private judgeCalled(calls: number): void {
    const judge = this.quality().judge;
    const now = this.now();
    if (now - judge.hourStartedAt >= 3_600_000) {
      judge.hourStartedAt = now;
      judge.callsThisHour = 0;
    }
    judge.calls += calls;
    judge.callsThisHour += calls;
  }

  judgeServing(deploymentId: string | null, host: string | null, url: string, identity: string): void {
    Object.assign(this.quality().judge, { deploymentId, host, url, identity });
  }

  judgeStopped(): void {
    Object.assign(this.quality().judge, { deploymentId: null, host: null });
  }

  judgeAudited(audit: JudgeAudit, calls: number): void {
    this.quality().judge.audit = audit;
    this.judgeCalled(calls);
    this.note(`judge ${audit.identity} ${audit.passed ? 'passed' : 'FAILED'} its audit: ${audit.summary}`);
  }

  evalRan(flips: EvalFlips): void {
    const q = this.quality();
    q.evalFlips = { ...flips, runs: (q.evalFlips?.runs ?? 0) + 1 };
    this.note(
      `eval set: candidate ${flips.candidateCorrect}/${flips.cases}, stable ${flips.stableCorrect}/${flips.cases}; flips right→wrong ${flips.rightToWrong}, wrong→right ${flips.wrongToRight}`,
    );
  }

  /** Adds ratings of items not rated before; returns how many were new. */
  ratingsRecorded(ratings: readonly { itemId: string; variant: 'stable' | 'candidate'; rating: number }[]): number {
    const quality = this.quality();
    const seen = new Set(quality.ratedItems);
    let added = 0;
    for (const { itemId, variant, rating } of ratings) {
      if (seen.has(itemId)) continue;
      seen.add(itemId);
      quality.ratedItems.push(itemId);
      added += 1;
      const sums = quality.ratings[variant];
      sums.n += 1;
      sums.sum += rating;
      sums.sumSquares += rating * rating;
    }
    return added;
  }

  qualityClassified(verdicts: MetricVerdict[]): void {
    this.quality().verdicts = verdicts;
  }

  private quality(): QualityState {
    if (!this.s.quality) this.s.quality = initialQualityState(this.now());
    return this.s.quality;
  }

  continuedAsNew(historyLength: number): void {
    this.s.runs += 1;
    this.note(`continuing as new (run ${this.s.runs}, ${historyLength} events in the last)`);
  }
}

/** The state is plain JSON by design; a JSON round trip copies it without sharing references. */
function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
