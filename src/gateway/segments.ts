// Segment rules restrict the canary to matching requests (e.g. greetings and casual chat only):
// a request that matches no rule always goes to stable. No rules: every request may be canaried.
import type { SegmentRule } from '../config/traffic-options';

export { segmentRuleSchema, type SegmentRule } from '../config/traffic-options';

// Each pattern is compiled once, when it is first met, not on every request it is tested against.
const compiled = new Map<string, RegExp>();

function regexFor(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern, 'i');
    compiled.set(pattern, regex);
  }
  return regex;
}

export interface SegmentRequest {
  headers: Record<string, string | string[] | undefined>;
  /** the request body's `metadata` object, if any */
  metadata: unknown;
  model: string;
}

function test(value: string | undefined, rule: { equals?: string; matches?: string }): boolean {
  if (value === undefined) return false;
  if (rule.equals !== undefined) return value === rule.equals;
  if (rule.matches !== undefined) return regexFor(rule.matches).test(value);
  return true; // present is enough
}

function valueFor(rule: SegmentRule, request: SegmentRequest): string | undefined {
  switch (rule.kind) {
    case 'header': {
      const value = request.headers[rule.name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    }
    case 'metadata': {
      const metadata = request.metadata;
      if (typeof metadata !== 'object' || metadata === null) return undefined;
      const value = (metadata as Record<string, unknown>)[rule.field];
      return typeof value === 'string' ? value : undefined;
    }
    case 'model':
      return request.model;
  }
}

/** True when the request may go to the candidate: it matches any rule, or there are none. */
export function inCanarySegment(rules: readonly SegmentRule[], request: SegmentRequest): boolean {
  return rules.length === 0 || rules.some((rule) => test(valueFor(rule, request), rule));
}
