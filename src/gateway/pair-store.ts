// Shadow pairs: the stable and the candidate answers to the same request, which the evaluation
// scores, and the store they are kept in. Two stores: append-only files (jsonl-pair-store.ts, the
// embedded default) and PostgreSQL (postgres-pair-store.ts, for several gateway replicas).

export interface PairSide {
  status: number;
  latencyMs: number;
  /** time to the first streamed chunk; null for an answer that was not streamed */
  ttftMs: number | null;
  answer: string | null;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  error?: string;
}

export type PairDirection = 'shadow' | 'reverse' | 'aa';

export interface ShadowPair {
  /** unique per pair: what scoring is idempotent on */
  pairId: string;
  requestId: string;
  time: string;
  route: string;
  /** the rollout whose candidate answered, and its deployment */
  rolloutId: string | null;
  candidateDeploymentId: string | null;
  /**
   * shadow: the user got the stable's answer and the candidate's was mirrored; reverse: the other
   * way round; aa: both sides are the stable's (the user got the first, the second was mirrored) —
   * the noise floor's pairs, recorded under `candidate`
   */
  direction: PairDirection;
  prompt: string;
  stable: PairSide;
  candidate: PairSide;
}

/** A page of a rollout's pairs and where the next page starts. */
export interface PairPage {
  pairs: ShadowPair[];
  /** pass back as `after` to read on; unchanged when nothing new was read */
  next: string | null;
}

export interface PairRange {
  route: string;
  rolloutId: string;
  /** a cursor from a previous page; null from the start */
  after: string | null;
  limit: number;
  /** only pairs recorded before this time (epoch ms): the analysis window's end; later ones wait */
  untilMs?: number;
}

export interface PairStore {
  /**
   * Resolves once the pair is durable — synced to disk or committed — and only then counts as
   * written; rejects when it could not be stored.
   */
  append(pair: ShadowPair): Promise<void>;
  /** the route's latest pairs, newest first */
  recent(route: string, limit: number): Promise<ShadowPair[]>;
  /** a rollout's pairs in the order they were recorded, from a resumable cursor */
  range(range: PairRange): Promise<PairPage>;
  /** writes what is pending, then releases files or connections */
  close(): Promise<void>;
}
