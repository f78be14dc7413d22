// The `quality:` block of a rollout spec: which answer-quality metrics judge the candidate, from
// which pairs, how strictly, and what an inconclusive result does at the end.
import { z } from 'zod';
import { duration } from './duration-schema';
import { envVarName } from './secret-names';

const fraction = z.number().min(0).max(1);
const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');
/** live: shadow pairs and, in the canary, reverse-shadow pairs; shadow or canary: only those. */
const source = z.enum(['live', 'shadow', 'canary']).default('live');

const common = {
  name,
  /** critical: a FAIL rolls back; not critical: a FAIL where a phase ends holds promotion for an operator's approve */
  critical: z.boolean().default(true),
  /** only shown: a FAIL neither rolls back nor holds (say so in as many words) */
  informational: z.boolean().default(false),
};

export const qualityMetricSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('failures'),
      ...common,
      source,
      /** the share of pairs where the candidate fails (error, empty, cut off, refusal, loop, JSON lost) and the stable does not, at most */
      margin: fraction.default(0.05),
      minN: z.number().int().positive().default(100),
    })
    .strict(),
  z
    .object({
      kind: z.literal('equivalence'),
      ...common,
      source,
      /** non-inferiority against the route's noise floor: at most this many points below the share of the stable's own re-answers that are equivalent */
      margin: fraction.default(0.1),
      /** optional absolute bar (the GO/NO-GO rule's 80%): at least this share of answers equivalent or better */
      minShare: fraction.optional(),
      minN: z.number().int().positive().default(100),
    })
    .strict(),
  z
    .object({
      kind: z.literal('judge'),
      ...common,
      source,
      /** non-inferiority: the candidate loses at most ½ + margin of the judged pairs that are not ties */
      margin: fraction.default(0.1),
      /** harm: the candidate loses more than ½ + harmMargin of them */
      harmMargin: fraction.default(0),
      minN: z.number().int().positive().default(50),
    })
    .strict(),
  z
    .object({
      kind: z.literal('likelihood'),
      ...common,
      source,
      /** a pair is worse when the reference finds the candidate's answer this many nats per token less likely than its own */
      worseBelow: z.number().positive().default(1),
      /** non-inferiority: the share of worse pairs at most this far above the floor's (the stable's re-answers) */
      margin: fraction.default(0.1),
      minN: z.number().int().positive().default(100),
    })
    .strict(),
  z
    .object({
      kind: z.literal('safety'),
      ...common,
      source,
      /** above this candidate safety-failure rate the rollout rolls back at once (seed: 5%) */
      maxRate: fraction.default(0.05),
      minN: z.number().int().positive().default(50),
    })
    .strict(),
  z
    .object({
      kind: z.literal('eval-flips'),
      ...common,
      /** cases needed before it can pass */
      minN: z.number().int().positive().default(20),
      /** right→wrong flips allowed at most; unset: only a significant excess of them fails */
      maxRegressions: z.number().int().nonnegative().optional(),
      /** candidate accuracy minus stable accuracy, at least: 0.02 is the seeds' "stable + 2 points" */
      minAccuracyDelta: z.number().min(-1).max(1).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('ratings'),
      ...common,
      /** experts' mean rating of the candidate's answers, at least (seed: 4.0 of 5) */
      minMean: z.number().min(1).max(5).default(4),
      minN: z.number().int().positive().default(100),
      /** and not worse than the stable's mean by more than this, significantly */
      margin: z.number().min(0).max(4).default(0.25),
    })
    .strict(),
]);
export type QualityMetric = z.output<typeof qualityMetricSchema>;
export type QualityMetricKind = QualityMetric['kind'];

export const judgeSchema = z
  .object({
    /** an OpenAI-compatible endpoint (production uses a large hosted model) … */
    endpoint: z.url().optional(),
    /** … and the model name to ask for there */
    model: z.string().default('judge'),
    /** the environment variable holding the endpoint's API key, read on the worker that calls it */
    apiKeyEnv: envVarName.optional(),
    /** … or a GGUF model file a host agent serves for the rollout */
    serve: z
      .object({
        model: z.string().min(1),
        host: z.string().default('local'),
        contextSize: z.number().int().positive().default(2048),
        threads: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** grammar: llama-server's GBNF allows only A, B or T (serve, or an endpoint that speaks it); none: the instruction alone */
    constrain: z.enum(['grammar', 'none']).default('grammar'),
    /** share of differing pairs sent to the judge */
    sampleRate: fraction.default(1),
    /** judge calls per hour at most (each judged pair costs two: both orders) */
    maxCallsPerHour: z.number().int().positive().default(600),
    seed: z.number().int().default(7),
    timeout: duration.default(30_000),
    audit: z
      .object({
        /** JSONL of {"prompt", "answer"}: good answers the audit corrupts; the shipped example by default */
        examples: z.string().optional(),
        /** identical answers must tie at least this often */
        minTieRate: fraction.default(0.9),
        /** corrupted answers (cut off, a number changed, a refusal) must lose at least this often */
        minLossRate: fraction.default(0.8),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((j) => (j.endpoint === undefined) !== (j.serve === undefined), { message: 'give exactly one of endpoint or serve' });
export type JudgeSpec = z.output<typeof judgeSchema>;

export const evalSetSchema = z
  .object({
    suite: z.string().min(1),
    /** run against both variants at the start of the shadow phase, then this often during the soak */
    every: duration.default(6 * 3_600_000),
    maxTokens: z.number().int().positive().default(32),
    stop: z.array(z.string()).max(4).optional(),
    requestTimeout: duration.default(60_000),
  })
  .strict();

export const qualitySchema = z
  .object({
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** what a critical metric that is neither PASS nor FAIL does when the shadow phase or the canary ends */
    onInconclusive: z.enum(['promote', 'rollback', 'hold']).default('hold'),
    /** replaces the built-in refusal patterns (case-insensitive regular expressions) */
    refusalPatterns: z.array(z.string()).optional(),
    /** chrF at or above which two different answers count as equivalent */
    equivalenceChrF: fraction.default(0.7),
    /** the safety reference (YAML) for metrics of kind safety */
    safetyTable: z.string().optional(),
    judge: judgeSchema.optional(),
    evalSet: evalSetSchema.optional(),
    /** during the canary, this share of candidate-answered requests is also sent to the stable, off the users' path */
    reverseShadowRate: fraction.default(0.2),
    /** the noise floor: this share of stable-answered requests is asked of the stable a second time, off the users' path */
    aaRate: fraction.default(0.1),
    /** pairs scored per analysis interval at most; the rest wait for the next */
    maxPairsPerInterval: z.number().int().positive().default(500),
    metrics: z.array(qualityMetricSchema).min(1),
  })
  .strict()
  .superRefine((q, ctx) => {
    const names = new Set<string>();
    q.metrics.forEach((m, i) => {
      if (names.has(m.name)) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `"${m.name}" is used twice` });
      names.add(m.name);
      if (m.kind === 'judge' && !q.judge) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'kind'], message: 'a judge metric needs quality.judge' });
      if (m.kind === 'safety' && !q.safetyTable)
        ctx.addIssue({ code: 'custom', path: ['metrics', i, 'kind'], message: 'a safety metric needs quality.safetyTable' });
      if (m.kind === 'eval-flips' && !q.evalSet)
        ctx.addIssue({ code: 'custom', path: ['metrics', i, 'kind'], message: 'an eval-flips metric needs quality.evalSet' });
    });
    if (q.refusalPatterns) {
      q.refusalPatterns.forEach((p, i) => {
        try {
          new RegExp(p, 'i');
        } catch {
          ctx.addIssue({ code: 'custom', path: ['refusalPatterns', i], message: 'not a valid regular expression' });
        }
      });
    }
  });
export type QualitySpec = z.output<typeof qualitySchema>;

/**
 * What a spec without a `quality:` block gets: failures, equivalence against the route's noise floor
 * and the likelihood judge, all critical. A stable served elsewhere (an endpoint) cannot score
 * likelihoods, so the judge is left out there and differences beyond the floor hold for approval.
 */
export function defaultQuality(stableIsEndpoint: boolean): QualitySpec {
  return qualitySchema.parse({
    metrics: [
      { name: 'candidate-failures', kind: 'failures' },
      { name: 'equivalent-or-better', kind: 'equivalence' },
      ...(stableIsEndpoint ? [] : [{ name: 'likelihood', kind: 'likelihood' }]),
    ],
  });
}
export type QualitySpecInput = z.input<typeof qualitySchema>;
