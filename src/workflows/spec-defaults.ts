// A spec in a history was parsed by the loader of its day: fields added since are missing from
// it. They get the default the loader gives them today, so older rollouts carry on unchanged.
import type { RolloutSpec } from '../config/spec';

type HistorySpec = RolloutSpec & { analysis: Partial<Pick<RolloutSpec['analysis'], 'metrics' | 'inconclusiveLimit'>> };

export function withCurrentDefaults(spec: RolloutSpec): RolloutSpec {
  const analysis = (spec as HistorySpec).analysis;
  return { ...spec, analysis: { ...spec.analysis, metrics: analysis.metrics ?? [], inconclusiveLimit: analysis.inconclusiveLimit ?? 2 } };
}
