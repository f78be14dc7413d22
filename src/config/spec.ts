// The rollout spec: YAML written by release engineers, validated here once, and passed to the
// workflow as a typed, fully-defaulted object with durations in milliseconds.
import { z } from 'zod';
import { duration } from './duration-schema';
import { defaultQuality, qualitySchema } from './quality-spec';
import { trafficOptionsSchema } from './traffic-options';
import { metricRulesSchema } from './metric-rules';
import { envVarName } from './secret-names';
import { extraArgsProblem } from './server-args';

const percent = z.number().min(0).max(100);
const fraction = z.number().min(0).max(1);

export const serverOptionsSchema = z
  .object({
    contextSize: z.number().int().positive().default(2048),
    threads: z.number().int().positive().optional(),
    parallel: z.number().int().positive().default(1),
    /** a Jinja chat template for models that ship none (llama.cpp only) */
    chatTemplateFile: z.string().optional(),
    extraArgs: z.array(z.string()).default([]),
  })
  .strict()
  .prefault({});

const engine = z.enum(['llama.cpp', 'vllm']);

function refuseOwnedArgs(served: { engine: 'llama.cpp' | 'vllm'; server: { extraArgs: string[] } }, ctx: z.RefinementCtx): void {
  const problem = extraArgsProblem(served.engine, served.server.extraArgs);
  if (problem) ctx.addIssue({ code: 'custom', path: ['server', 'extraArgs'], message: problem });
}

export { envVarName };
const SECRET_IN_SPEC =
  'a secret written in the spec would be stored in the rollout history: set it in an environment variable of the orchestrator worker and name that variable';

export const stableSchema = z.union([
  z
    .object({
      endpoint: z.url(),
      /** the variable that holds the endpoint's API key, read on the orchestrator worker */
      apiKeyEnv: envVarName.optional(),
      apiKey: z.never({ error: `${SECRET_IN_SPEC} (apiKeyEnv)` }).optional(),
    })
    .strict(),
  z
    .object({
      model: z.string().min(1),
      host: z.string().default('local'),
      engine: engine.default('llama.cpp'),
      server: serverOptionsSchema,
    })
    .strict()
    .superRefine(refuseOwnedArgs),
]);

/** Quantization loss gate: the artifact's token probabilities against its source's (llama-perplexity). */
export const quantLossSchema = z
  .object({
    /** plain text the two models read; configs/corpus/quantization-check.txt ships with Gantry */
    corpus: z.string().min(1),
    /** tokens per chunk; the corpus is read in chunks of this size */
    contextSize: z.number().int().min(16).default(128),
    /** mean KL divergence per token (nats), at most */
    maxKldMean: z.number().positive().optional(),
    /** 99th percentile of the per-token KL divergence, at most */
    maxKldP99: z.number().positive().optional(),
    /** share of tokens where both put the same token on top, at least */
    minSameTop: fraction.optional(),
    /** the artifact's perplexity over the source's, at most */
    maxPplRatio: z.number().min(1).optional(),
  })
  .strict();

export const candidateSchema = z
  .object({
    model: z.string().min(1),
    host: z.string().default('local'),
    engine: engine.default('llama.cpp'),
    quantize: z
      .object({
        type: z.string().regex(/^[A-Za-z0-9_]+$/, 'a llama-quantize type such as Q8_0'),
        /** what quantizing cost, measured against the source on a text corpus; unset: not measured */
        loss: quantLossSchema.optional(),
      })
      .strict()
      .optional(),
    server: serverOptionsSchema,
    readyTimeout: duration.default(120_000),
  })
  .strict()
  .superRefine(refuseOwnedArgs);

export const qaBandsSchema = z
  .object({
    /** at or above: excellent */
    excellent: z.number().min(0).max(100).default(95),
    /** at or above: approved, with extra monitoring (the next phase is analysed twice as often) */
    approve: z.number().min(0).max(100).default(80),
    /** at or above: an operator must approve (the rollout waits at the QA gate); below: blocked */
    review: z.number().min(0).max(100).default(65),
  })
  .strict()
  .refine((b) => b.excellent >= b.approve && b.approve >= b.review, { message: 'bands must not decrease: excellent ≥ approve ≥ review' })
  .prefault({});

export const qaSchema = z
  .object({
    suite: z.string().min(1),
    maxTokens: z.number().int().positive().default(32),
    /** stop sequences sent with every eval request, e.g. ["\n"] for short answers */
    stop: z.array(z.string()).max(4).optional(),
    requestTimeout: duration.default(60_000),
    gate: z
      .object({
        minAccuracy: fraction.default(0.8),
        maxP95Ms: z.number().positive().optional(),
        maxErrorRate: fraction.default(0),
        /** stable accuracy minus the artifact's, at most; -0.02 asks for the seeds' "stable + 2 points" */
        maxAccuracyDrop: z.number().min(-1).max(1).optional(),
        /** cases the stable got right and the artifact wrong, at most */
        maxRegressions: z.number().int().nonnegative().optional(),
        /** the exact sign test on the flips fails the gate below this p-value */
        significance: z.number().gt(0).lt(1).default(0.05),
        bands: qaBandsSchema,
      })
      .strict()
      .prefault({}),
    /** how long a score in the review band waits for approval; unset waits for ever */
    approvalTimeout: duration.optional(),
    onTimeout: z.enum(['rollback', 'hold']).default('rollback'),
  })
  .strict();

export const shadowSchema = z
  .object({
    duration: duration,
    sampleRate: fraction.default(1),
    minPairs: z.number().int().nonnegative().default(0),
  })
  .strict();

const gateTimeoutAction = z.enum(['rollback', 'hold']);

export const canaryStepSchema = z
  .object({
    weight: percent,
    /** how long the step soaks before it may end */
    duration: duration,
    /** auto: ends when the duration is over; manual: then waits for approve; schedule: then waits for a scheduled (or operator) advance */
    advance: z.enum(['auto', 'manual', 'schedule']).default('auto'),
    /** how long a manual or schedule gate waits before onTimeout applies; unset waits for ever */
    gateTimeout: duration.optional(),
    onTimeout: gateTimeoutAction.default('hold'),
  })
  .strict();

export const promotionSchema = z
  .object({
    requireApproval: z.boolean().default(false),
    approvalTimeout: duration.optional(),
    onTimeout: gateTimeoutAction.default('hold'),
    /** after promotion the replaced stable keeps serving this long, so `rollout revert` goes back at once */
    keepPrevious: duration.optional(),
  })
  .strict()
  .prefault({});

/**
 * How a rollout is rolled back when a rule calls for it: at once, or with the candidate's weight
 * stepped down through `steps` levels, each held over/steps while it is still judged. An emergency
 * (the breaker trips, an emergency-severity metric fails) always rolls back at once.
 */
export const rollbackPolicySchema = z
  .object({
    kind: z.enum(['immediate', 'gradual']).default('immediate'),
    over: duration.default(600_000),
    steps: z.number().int().min(1).max(20).default(4),
  })
  .strict()
  .refine((policy) => policy.over > 0, { message: 'must be longer than 0', path: ['over'] })
  .prefault({});

export const alertLevels = ['INFO', 'WARNING', 'CRITICAL', 'EMERGENCY'] as const;
export const notificationEvents = ['started', 'phase', 'step', 'paused', 'resumed', 'gate', 'rolled-back', 'promoted', 'failed'] as const;

export const webhookSchema = z
  .object({
    /** a URL without a secret in it; Slack-style URLs that are themselves the secret go in urlEnv or urlFile */
    url: z.url().optional(),
    /** the variable that holds the URL, read on the orchestrator worker */
    urlEnv: envVarName.optional(),
    /** a file whose first line is the URL, read on the orchestrator worker */
    urlFile: z.string().min(1).optional(),
    format: z.enum(['json', 'slack']).default('json'),
    /** only these events; all when unset */
    events: z.array(z.enum(notificationEvents)).optional(),
    minLevel: z.enum(alertLevels).default('INFO'),
  })
  .strict()
  .refine((w) => [w.url, w.urlEnv, w.urlFile].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of url, urlEnv or urlFile',
  });

export const notificationsSchema = z
  .object({ webhooks: z.array(webhookSchema).default([]) })
  .strict()
  .prefault({});

/** The built-in rollback rules that judge a measured figure, each of which may be given a severity. */
export const rollbackRuleNames = [
  'maxErrorRate',
  'maxErrorRateRatio',
  'maxP95Ms',
  'maxP95Ratio',
  'maxTtftP95Ms',
  'maxTtftP95Ratio',
  'minTokensPerSecond',
  'minTokensPerSecondRatio',
  'maxTokensPerRequestRatio',
  'maxCostPerRequestRatio',
] as const;
export type RollbackRuleName = (typeof rollbackRuleNames)[number];

/** warning: notify (and pause with pauseOnWarning); critical: counts toward failureLimit and rolls back; emergency: rolls back at once. */
export const severities = ['warning', 'critical', 'emergency'] as const;
export type Severity = (typeof severities)[number];

/** The rules on answers' speed, length and cost: per interval in `rollback`, over the whole canary in `promote`. */
const answerRuleFields = {
  /** time to first token, streamed answers only */
  maxTtftP95Ms: z.number().positive().optional(),
  maxTtftP95Ratio: z.number().positive().optional(),
  /** output tokens per second of answering */
  minTokensPerSecond: z.number().positive().optional(),
  /** e.g. 0.8: the candidate's tokens/s at least 80% of the stable's */
  minTokensPerSecondRatio: z.number().positive().optional(),
  maxTokensPerRequestRatio: z.number().positive().optional(),
  /** needs analysis.cost for both variants */
  maxCostPerRequestRatio: z.number().positive().optional(),
};

export const rollbackRulesSchema = z
  .object({
    maxErrorRate: fraction.optional(),
    maxErrorRateRatio: z.number().positive().optional(),
    errorRateRatioFloor: fraction.default(0.01),
    maxP95Ms: z.number().positive().optional(),
    maxP95Ratio: z.number().positive().optional(),
    ...answerRuleFields,
    minRequests: z.number().int().positive().default(10),
    /** per rule; a rule not named here is critical */
    severity: z.partialRecord(z.enum(rollbackRuleNames), z.enum(severities)).default({}),
    /** a failing warning-severity rule also pauses the rollout */
    pauseOnWarning: z.boolean().default(false),
  })
  .strict()
  .superRefine((rules, ctx) => {
    for (const name of Object.keys(rules.severity) as RollbackRuleName[]) {
      if (rules[name] === undefined) ctx.addIssue({ code: 'custom', path: ['severity', name], message: `no ${name} rule is set to give a severity to` });
    }
  })
  .prefault({});

const price = z.union(
  [
    z.object({ inputPer1k: z.number().nonnegative(), outputPer1k: z.number().nonnegative() }).strict(),
    z.object({ perGpuHour: z.number().positive() }).strict(),
  ],
  { error: 'a price is {inputPer1k, outputPer1k} (per 1k tokens) or {perGpuHour}' },
);

/** What each variant's answers cost, for cost-per-request rules and reports. */
export const costSchema = z.object({ stable: price, candidate: price }).strict();

export const promoteRulesSchema = z
  .object({
    minSamples: z.number().int().nonnegative().default(200),
    maxErrorRateIncrease: fraction.default(0),
    maxP95IncreaseMs: z.number().nonnegative().optional(),
    maxP95Ratio: z.number().positive().optional(),
    minSuccessRate: fraction.optional(),
    maxP95Ms: z.number().positive().optional(),
    /** judged over the whole canary; a rule with no data blocks promotion */
    ...answerRuleFields,
    significance: z.number().gt(0).lt(1).default(0.05),
    /** Kayenta's classifier on the whole canary's latencies: a Hodges-Lehmann shift judged High blocks promotion */
    latencyShift: z
      .object({
        confidence: z.number().gt(0.5).lt(1).default(0.98),
        /** the interval must clear this share of |shift| */
        tolerance: z.number().min(0).default(0.25),
        /** and the candidate's mean latency this ratio of the stable's */
        allowedIncrease: z.number().min(1).default(1),
      })
      .strict()
      .optional(),
  })
  .strict()
  .prefault({});

/** When the stable is too sick to be compared with: its windows are Error, never Pass. */
export const baselineRulesSchema = z
  .object({
    maxErrorRate: fraction.default(0.2),
    minRequests: z.number().int().positive().default(5),
  })
  .strict()
  .prefault({});

export const analysisSchema = z
  .object({
    interval: duration.default(60_000),
    failureLimit: z.number().int().positive().default(1),
    /** consecutive Error windows (metrics unavailable, baseline unhealthy) after which the rollout pauses and alerts */
    consecutiveErrorLimit: z.number().int().positive().default(4),
    /** inconclusive evaluations (too little evidence) that extend the canary before the rollout pauses and alerts */
    inconclusiveLimit: z.number().int().nonnegative().default(2),
    /** where the built-in rules' measurements come from; unset: the orchestrator's GANTRY_METRIC_PROVIDER */
    provider: z.enum(['gateway', 'prometheus'], { error: 'unknown provider: gateway or prometheus' }).optional(),
    /** custom metrics (PromQL), judged every interval beside the built-in rules */
    metrics: metricRulesSchema,
    baseline: baselineRulesSchema,
    rollback: rollbackRulesSchema,
    promote: promoteRulesSchema,
    cost: costSchema.optional(),
  })
  .strict()
  .superRefine((analysis, ctx) => {
    for (const rules of ['rollback', 'promote'] as const) {
      if (analysis[rules].maxCostPerRequestRatio !== undefined && analysis.cost === undefined)
        ctx.addIssue({ code: 'custom', message: 'needs analysis.cost: the price of the stable and of the candidate', path: [rules, 'maxCostPerRequestRatio'] });
    }
  })
  .prefault({});

export const rolloutSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
    route: z.string().min(1),
    stable: stableSchema.optional(),
    candidate: candidateSchema,
    qa: qaSchema.optional(),
    shadow: shadowSchema.optional(),
    canary: z
      .object({
        steps: z
          .array(canaryStepSchema)
          .min(1)
          .refine((steps) => steps.every((s, i) => i === 0 || s.weight >= (steps[i - 1] as { weight: number }).weight), {
            message: 'weights must not decrease from one step to the next',
          }),
      })
      .strict(),
    analysis: analysisSchema,
    promotion: promotionSchema,
    rollbackPolicy: rollbackPolicySchema,
    notifications: notificationsSchema,
    /** route settings applied while this rollout's candidate is on the route */
    gateway: trafficOptionsSchema.optional(),
    /** answer quality: scored pairs, safety, a judge, eval-set flips, expert ratings; unset: the default block; `off`: none */
    quality: z.union([z.literal('off'), qualitySchema]).optional(),
    /** set by the loader when the spec says `quality: off` (so the status can say so) */
    qualityOff: z.boolean().optional(),
  })
  .strict()
  .transform(({ quality, qualityOff, ...spec }) => {
    // A block given wins; `qualityOff` (the loader's mark of `quality: off`) applies only without one.
    const off = quality === 'off' || (quality === undefined && qualityOff === true);
    const stableIsEndpoint = spec.stable !== undefined && 'endpoint' in spec.stable;
    return { ...spec, quality: off ? undefined : (quality ?? defaultQuality(stableIsEndpoint)), qualityOff: off };
  });

export type RolloutSpecInput = z.input<typeof rolloutSpecSchema>;
export type RolloutSpec = z.output<typeof rolloutSpecSchema>;
export type ServerOptions = z.output<typeof serverOptionsSchema>;
export type RollbackRules = z.output<typeof rollbackRulesSchema>;
export type CostSpec = z.output<typeof costSchema>;
export type PromoteRules = z.output<typeof promoteRulesSchema>;
export type QaSpec = NonNullable<RolloutSpec['qa']>;
export type QuantLossRules = z.output<typeof quantLossSchema>;
export type QaGate = QaSpec['gate'];
export type CanaryStep = RolloutSpec['canary']['steps'][number];
export type RollbackPolicy = z.output<typeof rollbackPolicySchema>;
export type Webhook = z.output<typeof webhookSchema>;

/** How logs and errors name a webhook: its URL only when the spec wrote it out, never a secret one. */
export function webhookLabel(webhook: Pick<Webhook, 'url' | 'urlEnv' | 'urlFile'>): string {
  if (webhook.url) return webhook.url;
  return webhook.urlEnv ? `the webhook in $${webhook.urlEnv}` : `the webhook in ${webhook.urlFile ?? '(none)'}`;
}
export type AlertLevel = (typeof alertLevels)[number];
export type NotificationEvent = (typeof notificationEvents)[number];
