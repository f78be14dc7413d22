// A route is what clients ask for by model name. It says where stable and candidate answers come
// from, how live traffic is split, and how much of it is mirrored. The admin API sets it whole.
import { z } from 'zod';
import { breakerPolicySchema, pairPromptSchema, segmentRuleSchema } from '../config/traffic-options';

export const upstreamSchema = z
  .object({
    /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8081/v1 */
    url: z.url(),
    /** model name sent upstream; unset keeps the client's */
    model: z.string().optional(),
    apiKey: z.string().optional(),
    /** the host-agent deployment serving it, so the control plane can stop it later */
    deployment: z.object({ host: z.string(), id: z.string() }).strict().optional(),
    label: z.string().optional(),
    /** the model file it serves, for the route's history of stables */
    artifact: z.string().optional(),
  })
  .strict();

export const routeConfigSchema = z
  .object({
    stable: upstreamSchema,
    candidate: upstreamSchema.optional(),
    /** percent of live traffic answered by the candidate */
    weight: z.number().min(0).max(100).default(0),
    /** fraction of stable-answered requests mirrored to the candidate */
    shadowRate: z.number().min(0).max(1).default(0),
    /** fraction of candidate-answered requests also sent to the stable off the user's path (canary pairs) */
    reverseShadowRate: z.number().min(0).max(1).default(0),
    /** fraction of stable-answered requests also sent to the stable a second time, off the user's path: the noise floor's A/A pairs */
    aaRate: z.number().min(0).max(1).default(0),
    /** header whose value keeps a user or session on one variant */
    stickyHeader: z.string().default('x-session-id'),
    /** the rollout that owns the candidate, for operators reading the route */
    rolloutId: z.string().optional(),
    /** the canary takes only requests matching one of these (none: any request) */
    segments: z.array(segmentRuleSchema).default([]),
    /** what shadow pairs keep of the prompt */
    pairPrompt: pairPromptSchema.default('full'),
    /** a live candidate request that fails (5xx, unreachable, timeout) is answered by stable instead */
    fallbackToStable: z.boolean().default(true),
    /** opens when the candidate fails too often between two analyses; live traffic then goes to stable */
    breaker: breakerPolicySchema.prefault({}),
  })
  .strict()
  .refine((r) => r.candidate !== undefined || (r.weight === 0 && r.shadowRate === 0 && r.reverseShadowRate === 0 && r.aaRate === 0), {
    message: 'weight, shadowRate, reverseShadowRate and aaRate must be 0 when there is no candidate',
  });

export type Upstream = z.output<typeof upstreamSchema>;
export type RouteConfig = z.output<typeof routeConfigSchema>;
export type RouteConfigInput = z.input<typeof routeConfigSchema>;
export type Variant = 'stable' | 'candidate';
