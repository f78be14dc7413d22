// Traffic settings a rollout spec may give under `gateway:`: who may be canaried (segments), what
// shadow pairs keep of a prompt, fallback and the circuit breaker. The traffic activity turns them
// into the gateway's route; workflows and specs never see the gateway's own types.
import { z } from 'zod';

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}
// A pattern that does not compile is refused when the spec or route is read, never met on a live request.
const pattern = z.string().refine(compiles, 'not a valid regular expression').optional();

/** A segment rule: a request matching any of a route's rules may go to the candidate; others stay on stable. */
export const segmentRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('header'), name: z.string().min(1), equals: z.string().optional(), matches: pattern }).strict(),
  z.object({ kind: z.literal('metadata'), field: z.string().min(1), equals: z.string().optional(), matches: pattern }).strict(),
  z.object({ kind: z.literal('model'), equals: z.string().optional(), matches: pattern }).strict(),
]);
export type SegmentRule = z.output<typeof segmentRuleSchema>;

export const pairPromptSchema = z.enum(['full', 'redacted', 'hash']);

export const breakerPolicySchema = z
  .object({
    /** how many of the candidate's latest live requests are judged */
    window: z.number().int().min(1).max(10_000).default(20),
    /** open when errors / window reaches this share */
    maxErrorRate: z.number().gt(0).max(1).default(0.5),
    /** never open on fewer requests than this */
    minRequests: z.number().int().min(1).default(5),
  })
  .strict();
export type BreakerPolicy = z.output<typeof breakerPolicySchema>;

export const trafficOptionsSchema = z
  .object({
    stickyHeader: z.string().optional(),
    segments: z.array(segmentRuleSchema).optional(),
    pairPrompt: pairPromptSchema.optional(),
    fallbackToStable: z.boolean().optional(),
    breaker: breakerPolicySchema.optional(),
  })
  .strict();
export type TrafficOptions = z.output<typeof trafficOptionsSchema>;
