// The state runs of the first release carried across continue-as-new (one mutable status object).
// A rollout that continued as new on that release resumes on this one through `migrateState`.
import type { QaReport } from '../../analysis/qa-gate';
import type { PromotionDecision } from '../../analysis/promotion-decision';
import type { TrafficWindow } from '../../analysis/stats';
import type { Deployment, ModelArtifact } from '../../activities/model-host';
import {
  ROLLOUT_STATE_VERSION,
  type AnalysisRecord,
  type AuditEntry,
  type CommandRecord,
  type Outcome,
  type PauseState,
  type RolloutState,
  type StageName,
  type TimelineEntry,
  type WaitState,
} from './rollout-state';

/** The first release's status: only the fields the migration reads. */
export interface LegacyRolloutStatus {
  version?: undefined;
  rolloutId: string;
  route: string;
  phase: string;
  step: number;
  steps: number;
  weight: number;
  shadowRate: number;
  startedAt: number;
  stage: 'qa' | 'quantize' | 'deploy' | 'shadow' | 'canary' | 'evaluation' | 'approval' | 'done';
  wait: WaitState | null;
  paused: PauseState | null;
  commands: CommandRecord[];
  runs: number;
  analyses: number;
  consecutiveFailures: number;
  lastVerdict: AnalysisRecord | null;
  recentVerdicts: AnalysisRecord[];
  qa: QaReport | null;
  artifact: ModelArtifact | null;
  candidate: Deployment | null;
  candidateDeploymentId: string | null;
  shadowTotals: TrafficWindow & { breakerOpen?: string | null };
  canaryTotals: TrafficWindow & { breakerOpen?: string | null };
  evaluation: PromotionDecision | null;
  outcome: Outcome | null;
  reason: string | null;
  failureType: string | null;
  audit: AuditEntry[];
  timeline: TimelineEntry[];
}

const withoutBreaker = ({ breakerOpen: _dropped, ...window }: TrafficWindow & { breakerOpen?: string | null }): TrafficWindow => window;

/** The state a run starts from: this release's as is, the first release's converted. */
export function migrateState(saved: RolloutState | LegacyRolloutStatus, candidateHost: string): RolloutState {
  if (saved.version === ROLLOUT_STATE_VERSION)
    return { ...saved, quality: saved.quality ?? null, extraMonitoring: saved.extraMonitoring ?? false, quantLoss: saved.quantLoss ?? null };
  const legacy = saved;
  // The first release kept the next stage to run; a run only continued as new inside a wait, where
  // that is also the stage in progress. 'done' was set just before promotion.
  const stage: StageName = legacy.stage === 'done' ? 'approval' : legacy.stage;
  return {
    version: ROLLOUT_STATE_VERSION,
    rolloutId: legacy.rolloutId,
    route: legacy.route,
    startedAt: legacy.startedAt,
    stepCount: legacy.steps,
    stage,
    closing: legacy.phase === 'Promoting' || legacy.phase === 'RollingBack' ? legacy.phase : null,
    result: legacy.outcome ? { outcome: legacy.outcome, reason: legacy.reason ?? '', failureType: legacy.failureType } : null,
    step: legacy.step,
    weight: legacy.weight,
    shadowRate: legacy.shadowRate,
    wait: legacy.wait,
    paused: legacy.paused,
    commands: legacy.commands,
    runs: legacy.runs,
    analysis: {
      count: legacy.analyses,
      consecutiveFailures: legacy.consecutiveFailures,
      consecutiveErrors: 0,
      excludedWindows: 0,
      last: legacy.lastVerdict,
      recent: legacy.recentVerdicts,
      stableProbe: null,
    },
    stable: null,
    qa: legacy.qa,
    extraMonitoring: false,
    artifact: legacy.artifact,
    quantLoss: null,
    candidate: legacy.candidateDeploymentId
      ? { deploymentId: legacy.candidateDeploymentId, host: legacy.candidate?.host ?? candidateHost, deployment: legacy.candidate }
      : null,
    totals: { shadow: withoutBreaker(legacy.shadowTotals), canary: withoutBreaker(legacy.canaryTotals) },
    evaluation: legacy.evaluation,
    quality: null,
    audit: legacy.audit,
    timeline: legacy.timeline,
  };
}
