// A spec in a history was parsed by the loader of its day: fields added since are missing from
// it. They get the default the loader gives them today, so older rollouts carry on unchanged.
import type { RolloutSpec } from '../config/spec';

type Rollback = RolloutSpec['analysis']['rollback'];
type HistorySpec = Omit<RolloutSpec, 'rollbackPolicy'> & {
  analysis: Partial<Pick<RolloutSpec['analysis'], 'metrics' | 'inconclusiveLimit'>> & {
    rollback: Omit<Rollback, 'severity' | 'pauseOnWarning'> & Partial<Pick<Rollback, 'severity' | 'pauseOnWarning'>>;
  };
  rollbackPolicy?: RolloutSpec['rollbackPolicy'];
};

/** What a spec without `rollbackPolicy` did: every rollback at once. */
const IMMEDIATE: RolloutSpec['rollbackPolicy'] = { kind: 'immediate', over: 600_000, steps: 4 };

export function withCurrentDefaults(spec: RolloutSpec): RolloutSpec {
  const old = spec as HistorySpec;
  const analysis = old.analysis;
  return {
    ...spec,
    analysis: {
      ...spec.analysis,
      metrics: analysis.metrics ?? [],
      inconclusiveLimit: analysis.inconclusiveLimit ?? 2,
      rollback: { ...analysis.rollback, severity: analysis.rollback.severity ?? {}, pauseOnWarning: analysis.rollback.pauseOnWarning ?? false },
    },
    rollbackPolicy: old.rollbackPolicy ?? IMMEDIATE,
  };
}
