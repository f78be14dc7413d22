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

export interface ShadowPair {
  requestId: string;
  time: string;
  route: string;
  prompt: string;
  stable: PairSide;
  candidate: PairSide;
}

export interface PairStore {
  /**
   * Resolves once the pair is durable — synced to disk or committed — and only then counts as
   * written; rejects when it could not be stored.
   */
  append(pair: ShadowPair): Promise<void>;
  /** the route's latest pairs, newest first */
  recent(route: string, limit: number): Promise<ShadowPair[]>;
  /** writes what is pending, then releases files or connections */
  close(): Promise<void>;
}
