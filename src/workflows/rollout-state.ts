// The rollout's state: a plain JSON object (no Map/Set), queryable at any time and returned at the end.
import type { RolloutSpec } from '../config/spec';
import type { QaReport } from '../analysis/qa-gate';
import type { IntervalVerdict } from '../analysis/interval-verdict';
import type { PromotionDecision } from '../analysis/promotion-decision';
import { emptyWindow, type WindowStats } from '../analysis/stats';
import type { Deployment, ModelArtifact } from '../activities/model-host';

export type Phase = 'Pending' | 'QA' | 'Quantize' | 'Deploy' | 'Shadow' | 'Canary' | 'Evaluation' | 'Promoting' | 'RollingBack' | 'Promoted' | 'RolledBack' | 'Failed' | 'Cancelled';
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
  /** when the current timed wait ends, epoch ms; null when not waiting */
  waitUntil: number | null;
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
