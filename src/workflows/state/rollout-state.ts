// The rollout's state: plain JSON (no Map/Set), versioned, carried across continue-as-new. Only
// StateOwner (state-owner.ts) changes it; everything else reads it as DeepReadonly, and queries
// answer with a view computed from it (status-view.ts).
import type { QaReport } from '../../analysis/qa-gate';
import type { IntervalVerdict } from '../../analysis/interval-verdict';
import type { PromotionDecision } from '../../analysis/promotion-decision';
import type { UpstreamProbe } from '../../analysis/baseline-health';
import { emptyWindow, type TrafficWindow } from '../../analysis/stats';
import type { Deployment, ModelArtifact } from '../../activities/model-host';
import type { QuantLossResult } from '../../adapters/llama-perplexity';
import type { QuantLossVerdict } from '../../analysis/quant-loss-gate';
import type { MetricVerdict } from '../../analysis/quality/metric-verdicts';
import type { MetricStanding } from '../../analysis/metric-verdict';
import type { GradualRollback } from './step-down';
import { emptyPairTotals, emptyRatings, type EvalFlips, type JudgeAudit, type PairTotals, type RatingTotals } from '../../analysis/quality/quality-totals';

export const ROLLOUT_STATE_VERSION = 2;

/** The pipeline's stages, in order. */
export const STAGES = ['stable', 'qa', 'quantize', 'deploy', 'shadow', 'canary', 'evaluation', 'approval'] as const;
export type StageName = (typeof STAGES)[number];

export type Outcome = 'Promoted' | 'RolledBack' | 'Failed' | 'Cancelled';
export type Closing = 'Promoting' | 'RollingBack';

/** Where the rollout is, in words an operator reads: derived from stage, closing and result. */
export type Phase = 'Pending' | 'StableCheck' | 'QA' | 'Quantize' | 'Deploy' | 'Shadow' | 'Canary' | 'Evaluation' | 'Approval' | Closing | Outcome;

export const STAGE_PHASE: Record<StageName, Phase> = {
  stable: 'StableCheck',
  qa: 'QA',
  quantize: 'Quantize',
  deploy: 'Deploy',
  shadow: 'Shadow',
  canary: 'Canary',
  evaluation: 'Evaluation',
  approval: 'Approval',
};

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

/** A wait in progress: a timed soak, or a gate that ends on approve or advance. */
export interface WaitState {
  /** quality-gate: a critical quality metric was inconclusive where a phase ends, and the spec says hold */
  /** step-down: a level of a gradual rollback */
  kind: 'shadow' | 'soak' | 'gate' | 'promotion-gate' | 'quality-gate' | 'qa-gate' | 'eval-set' | 'step-down';
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
  /** which totals this wait's traffic adds to; none: nothing to judge yet (the QA gate, before the candidate serves) */
  analysis: 'shadow' | 'canary' | 'none';
  /** shadow only: pairs required before the phase may end; an advance short of it needs force */
  minPairs: number;
}

export interface PauseState {
  since: number;
  by: string;
  reason: string;
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

/** What the stable check found, and what it did about it. */
export interface StableRecord {
  kind: 'managed' | 'external';
  /** managed: the host agent's deployment serving the stable */
  host: string | null;
  deploymentId: string | null;
  endpoint: string;
  /** healthy: found serving; restored: restarted from its record; created: brought up from the spec */
  found: 'healthy' | 'restored' | 'created';
  checkedAt: number;
}

export interface AnalysisState {
  count: number;
  consecutiveFailures: number;
  /** Error windows in a row (metrics unavailable, baseline unhealthy) */
  consecutiveErrors: number;
  /** windows left out of the totals because the stable was too sick to compare with */
  excludedWindows: number;
  last: AnalysisRecord | null;
  recent: AnalysisRecord[];
  /** the gateway's last health probe of the route's stable */
  stableProbe: UpstreamProbe | null;
}

export interface CandidateRecord {
  deploymentId: string;
  /** the host agent asked to serve it: teardown goes there even if the start was cut short */
  host: string;
  /** set once the server answers */
  deployment: Deployment | null;
}

/** The judge a rollout uses: served for it by a host agent, or an endpoint; and whether it passed its audit. */
export interface JudgeState {
  /** set when a host agent serves the judge for this rollout: stopped when the rollout ends */
  deploymentId: string | null;
  host: string | null;
  url: string | null;
  identity: string | null;
  audit: JudgeAudit | null;
  calls: number;
  /** calls in the current hour, for the spec's maxCallsPerHour */
  callsThisHour: number;
  hourStartedAt: number;
}

/** Answer quality so far: a cursor into the rollout's pairs, and sufficient statistics only. */
export interface QualityState {
  cursor: string | null;
  scored: number;
  /** floor: this rollout's A/A pairs (absent in states from before the noise floor) */
  totals: { shadow: PairTotals; canary: PairTotals; floor?: PairTotals };
  /** the route's noise floor recorded by earlier rollouts, read when this one began; null: none recorded */
  floorPrior?: PairTotals | null;
  judge: JudgeState;
  evalFlips: EvalFlips | null;
  ratings: RatingTotals;
  /** blinded item ids already rated: an import counts each once */
  ratedItems: string[];
  /** the latest classification of every metric */
  verdicts: MetricVerdict[];
}

export function initialQualityState(now: number): QualityState {
  return {
    cursor: null,
    scored: 0,
    totals: { shadow: emptyPairTotals(), canary: emptyPairTotals(), floor: emptyPairTotals() },
    judge: { deploymentId: null, host: null, url: null, identity: null, audit: null, calls: 0, callsThisHour: 0, hourStartedAt: now },
    evalFlips: null,
    ratings: emptyRatings(),
    ratedItems: [],
    verdicts: [],
  };
}

export interface QuantLossRecord {
  result: QuantLossResult;
  verdict: QuantLossVerdict;
}

export interface RolloutResultRecord {
  outcome: Outcome;
  reason: string;
  failureType: string | null;
}

/** After a promotion with `keepPrevious`: the replaced stable, still serving, and how its window ended. */
export interface KeptStable {
  host: string;
  deploymentId: string;
  endpoint: string;
  /** the promoted candidate, stopped if the promotion is reverted */
  promoted: { host: string; deploymentId: string };
  until: number;
  /** reverted: the route went back to it and the promoted server stopped; released: it was stopped */
  ended: 'reverted' | 'released' | null;
}

export interface RolloutState {
  version: typeof ROLLOUT_STATE_VERSION;
  rolloutId: string;
  route: string;
  startedAt: number;
  stepCount: number;
  /** the stage in progress; every stage before it is done. null before the first */
  stage: StageName | null;
  /** set once the rollout is being promoted or rolled back */
  closing: Closing | null;
  result: RolloutResultRecord | null;
  /** canary step index, -1 before the canary */
  step: number;
  weight: number;
  shadowRate: number;
  wait: WaitState | null;
  paused: PauseState | null;
  /** recent operator commands with their outcome, newest last */
  commands: CommandRecord[];
  /** continue-as-new generations so far */
  runs: number;
  analysis: AnalysisState;
  stable: StableRecord | null;
  qa: QaReport | null;
  /** the QA score was in the approve band: the next phase is analysed twice as often */
  extraMonitoring: boolean;
  artifact: ModelArtifact | null;
  /** what quantizing cost against the source, and whether it was within the spec's limits */
  quantLoss: QuantLossRecord | null;
  candidate: CandidateRecord | null;
  totals: { shadow: TrafficWindow; canary: TrafficWindow };
  evaluation: PromotionDecision | null;
  /** null when the spec has no quality block */
  quality: QualityState | null;
  audit: AuditEntry[];
  timeline: TimelineEntry[];
  /** absent in states from before keepPrevious existed */
  kept?: KeptStable | null;
  /** times an inconclusive evaluation extended the canary; absent before inconclusive evaluations existed */
  evaluationExtensions?: number;
  /** times a shadow phase short of pairs was extended; absent before that existed */
  shadowExtensions?: number;
  /** each custom metric's latest measurement and its counts in a row; absent before custom metrics existed */
  metrics?: MetricStanding[];
  /** a gradual rollback under way (closing is RollingBack); absent before gradual rollbacks existed */
  gradualRollback?: GradualRollback | null;
}

export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
export type ReadonlyRolloutState = DeepReadonly<RolloutState>;

export function initialRolloutState(rolloutId: string, route: string, stepCount: number, now: number, withQuality = false): RolloutState {
  return {
    version: ROLLOUT_STATE_VERSION,
    rolloutId,
    route,
    startedAt: now,
    stepCount,
    stage: null,
    closing: null,
    result: null,
    step: -1,
    weight: 0,
    shadowRate: 0,
    wait: null,
    paused: null,
    commands: [],
    runs: 1,
    analysis: { count: 0, consecutiveFailures: 0, consecutiveErrors: 0, excludedWindows: 0, last: null, recent: [], stableProbe: null },
    stable: null,
    qa: null,
    extraMonitoring: false,
    artifact: null,
    quantLoss: null,
    candidate: null,
    totals: { shadow: emptyWindow(now, now), canary: emptyWindow(now, now) },
    evaluation: null,
    quality: withQuality ? initialQualityState(now) : null,
    audit: [],
    timeline: [],
  };
}

export function phaseOf(state: Pick<ReadonlyRolloutState, 'stage' | 'closing' | 'result'>): Phase {
  if (state.result) return state.result.outcome;
  if (state.closing) return state.closing;
  return state.stage ? STAGE_PHASE[state.stage] : 'Pending';
}
