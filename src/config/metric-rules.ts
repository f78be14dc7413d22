// Custom metrics in a spec (`analysis.metrics`): a PromQL query judged every analysis interval by
// a success or a failure condition, with Argo Rollouts' limits. The built-in rules (`rollback`,
// `promote`) stay the shorthand for the gateway's own measurements.
import { z } from 'zod';
import { parseCondition } from './metric-condition';

const condition = z.string().superRefine((text, ctx) => {
  const parsed = parseCondition(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
});

export const metricRuleSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, dashes and underscores'),
    provider: z.enum(['prometheus'], { error: 'unknown provider: custom metrics are read from prometheus' }),
    /** PromQL; {{route}}, {{rolloutId}} and {{interval}} (the window, e.g. 60s) are filled in */
    query: z.string().min(1),
    successCondition: condition.optional(),
    failureCondition: condition.optional(),
    /**
     * critical: failureLimit failures in a row roll back; warning: they notify at WARNING (and pause
     * with pauseOnWarning); emergency: one failure rolls back at once, with an EMERGENCY alert
     */
    severity: z.enum(['warning', 'critical', 'emergency']).default('critical'),
    pauseOnWarning: z.boolean().default(false),
    /** failed measurements in a row that act (see severity) */
    failureLimit: z.number().int().positive().default(1),
    /** measurements in a row that could not be taken (query error, Prometheus away): pause and alert */
    consecutiveErrorLimit: z.number().int().positive().default(4),
    /** measurements in a row with no sample (an empty result): pause and alert */
    inconclusiveLimit: z.number().int().positive().default(4),
  })
  .strict()
  .refine((rule) => (rule.successCondition === undefined) !== (rule.failureCondition === undefined), {
    message: 'give exactly one of successCondition and failureCondition',
  });
export type MetricRule = z.output<typeof metricRuleSchema>;

export const metricRulesSchema = z
  .array(metricRuleSchema)
  .default([])
  .refine((rules) => new Set(rules.map((r) => r.name)).size === rules.length, { message: 'metric names must be unique' });
