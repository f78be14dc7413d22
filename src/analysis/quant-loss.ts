// What quantizing cost, as llama-perplexity's KL-divergence mode measures it (adapters/llama-perplexity.ts).
export interface QuantLoss {
  /** mean KL divergence per token, nats */
  kldMean: number;
  kldP99: number;
  /** share of tokens where both models put the same token on top, 0..1 */
  sameTop: number;
  pplArtifact: number;
  pplSource: number;
  pplRatio: number;
}

export type QuantLossResult = ({ measured: true } & QuantLoss) | { measured: false; reason: string };
