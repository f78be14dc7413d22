// The rollout's state: a plain JSON object (no Map/Set), queryable at any time and returned at the end.
import type { RolloutSpec } from '../config/spec';
import type { QaReport } from '../analysis/qa-gate';
import type { IntervalVerdict } from '../analysis/interval-verdict';
import type { PromotionDecision } from '../analysis/promotion-decision';
import { emptyWindow, type WindowStats } from '../analysis/stats';
import type { Deployment, ModelArtifact } from '../activities/model-host';

export type Phase =
  | 'Pending'
  | 'QA'
  | 'Quantize'
  | 'Deploy'
  | 'Shadow'
  | 'Canary'
  | 'Evaluation'
  | 'Promoting'
  | 'RollingBack'
  | 'Promoted'
  | 'RolledBack'
  | 'Failed'
  | 'Cancelled';
export type Outcome = 'Promoted' | 'RolledBack' | 'Failed' | 'Cancelled';

export interface AnalysisRecord extends IntervalVerdict {
  at: number;
  phase: Phase;
  step: number;
}

export interface TimelineEntry {
  at: number;
  phase: Phase;
  message: string;
}

/** Where the pipeline is, so a continued-as-new run resumes exactly there. */
export type Stage = 'qa' | 'quantize' | 'deploy' | 'shadow' | 'canary' | 'evaluation' | 'approval' | 'done';

/** A wait in progress: a timed soak, or a gate that ends on approve or advance. */
export interface WaitState {
  kind: 'shadow' | 'soak' | 'gate' | 'promotion-gate';
  endsOn: 'time' | 'approve' | 'advance';
  startedAt: number;
  /** for timed waits; paused time does not count */
  durationMs: number | null;
  pausedMs: number;
  gateTimeoutAt: number | null;
  onTimeout: 'rollback' | 'hold' | null;
  /** the analysis window in progress starts here */
  windowStart: number;
  lastAnalysisAt: number;
  /** a running total of the traffic seen in this wait goes to the shadow or canary totals */
  analysis: 'shadow' | 'canary';
  /** shadow only: pairs required before the phase may end; an advance short of it needs force */
  minPairs: number;
}

export interface CommandRecord {
  requestId: string | null;
  command: string;
  by: string;
  at: number;
  accepted: boolean;
  message: string;
}

export interface AuditEntry {
  at: number;
  by: string;
  action: string;
  reason: string;
}

export interface RolloutStatus {
  rolloutId: string;
  route: string;
  phase: Phase;
  /** canary step index, -1 before the canary */
  step: number;
  steps: number;
  weight: number;
  shadowRate: number;
  startedAt: number;
  /** when the current timed wait ends at the earliest, epoch ms (pauses push it back); null when not in a timed wait */
  waitUntil: number | null;
  stage: Stage;
  wait: WaitState | null;
  paused: { since: number; by: string; reason: string } | null;
  /** what the rollout waits for, in words */
  waitingFor: string | null;
  /** recent operator commands with their outcome, newest last */
  commands: CommandRecord[];
  /** continue-as-new generations so far */
  runs: number;
  analyses: number;
  consecutiveFailures: number;
  lastVerdict: AnalysisRecord | null;
  recentVerdicts: AnalysisRecord[];
  qa: QaReport | null;
  artifact: ModelArtifact | null;
  candidate: Deployment | null;
  /** set when the candidate's deployment begins, so cleanup can stop it even mid-start */
  candidateDeploymentId: string | null;
  shadowTotals: WindowStats;
  canaryTotals: WindowStats;
  evaluation: PromotionDecision | null;
  outcome: Outcome | null;
  reason: string | null;
  failureType: string | null;
  audit: AuditEntry[];
  timeline: TimelineEntry[];
}

const RECENT_VERDICTS = 10;
const RECENT_COMMANDS = 30;
const TIMELINE_LIMIT = 200;

export function initialStatus(rolloutId: string, spec: RolloutSpec, now: number): RolloutStatus {
  return {
    rolloutId,
    route: spec.route,
    phase: 'Pending',
    step: -1,
    steps: spec.canary.steps.length,
    weight: 0,
    shadowRate: 0,
    startedAt: now,
    waitUntil: null,
    stage: 'qa',
    wait: null,
    paused: null,
    waitingFor: null,
    commands: [],
    runs: 1,
    analyses: 0,
    consecutiveFailures: 0,
    lastVerdict: null,
    recentVerdicts: [],
    qa: null,
    artifact: null,
    candidate: null,
    candidateDeploymentId: null,
    shadowTotals: emptyWindow(now, now),
    canaryTotals: emptyWindow(now, now),
    evaluation: null,
    outcome: null,
    reason: null,
    failureType: null,
    audit: [],
    timeline: [],
  };
}

export function note(status: RolloutStatus, at: number, message: string): void {
  status.timeline.push({ at, phase: status.phase, message });
  if (status.timeline.length > TIMELINE_LIMIT) status.timeline.splice(0, status.timeline.length - TIMELINE_LIMIT);
}

export function recordVerdict(status: RolloutStatus, record: AnalysisRecord): void {
  status.analyses += 1;
  status.lastVerdict = record;
  status.recentVerdicts.push(record);
  if (status.recentVerdicts.length > RECENT_VERDICTS) status.recentVerdicts.shift();
  if (record.verdict === 'Fail') status.consecutiveFailures += 1;
  else if (record.verdict === 'Pass') status.consecutiveFailures = 0;
}

export function recordCommand(status: RolloutStatus, record: CommandRecord): void {
  status.commands.push(record);
  if (status.commands.length > RECENT_COMMANDS) status.commands.shift();
}

/** Time the current timed wait has run, not counting pauses. */
export function activeElapsed(wait: WaitState, paused: RolloutStatus['paused'], now: number): number {
  return now - wait.startedAt - wait.pausedMs - (paused ? now - Math.max(paused.since, wait.startedAt) : 0);
}

export function remainingMs(wait: WaitState, paused: RolloutStatus['paused'], now: number): number {
  return wait.durationMs === null ? Number.POSITIVE_INFINITY : Math.max(0, wait.durationMs - activeElapsed(wait, paused, now));
}
