import { rolloutSpecSchema, type RolloutSpec, type RolloutSpecInput } from '../../src/config/spec';

/** A realistic multi-week rollout: a 7-day shadow, then canary steps of days, analysed hourly. */
export function weeksLongSpec(overrides: Partial<RolloutSpecInput> = {}): RolloutSpec {
  return rolloutSpecSchema.parse({
    name: 'gemma-q8',
    route: 'chat',
    stable: { model: '/models/stable.gguf' },
    candidate: { model: '/models/candidate-f16.gguf', quantize: { type: 'Q8_0' } },
    qa: { suite: '/evals/basic.jsonl', gate: { minAccuracy: 0.6 } },
    shadow: { duration: '7d', sampleRate: 1, minPairs: 500 },
    canary: {
      steps: [
        { weight: 1, duration: '2d' },
        { weight: 5, duration: '2d' },
        { weight: 25, duration: '3d' },
        { weight: 50, duration: '3d' },
        { weight: 100, duration: '1d' },
      ],
    },
    analysis: {
      interval: '1h',
      failureLimit: 2,
      rollback: { maxErrorRate: 0.1, maxErrorRateRatio: 2, maxP95Ms: 3000, maxP95Ratio: 2 },
      promote: { minSamples: 200, maxP95IncreaseMs: 50 },
    },
    notifications: { webhooks: [{ url: 'http://hooks.example.test/gantry', format: 'json' }] },
    // Answer quality is on by default; the tests that are not about it leave it out.
    quality: 'off',
    ...overrides,
  } satisfies RolloutSpecInput);
}
