// Gantry's custom search attributes: what an operator filters rollouts by in the Temporal Web UI,
// with `temporal workflow list --query`, and what `gantry rollout list` asks. `gantry dev up`
// registers them on its dev server; another cluster needs them created once (see the README).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ROLLOUT_SEARCH_ATTRIBUTES = {
  route: defineSearchAttributeKey('GantryRoute', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('GantryPhase', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('GantryOutcome', SearchAttributeType.KEYWORD),
  candidate: defineSearchAttributeKey('GantryCandidate', SearchAttributeType.KEYWORD),
} as const;

export const SEARCH_ATTRIBUTE_NAMES = Object.values(ROLLOUT_SEARCH_ATTRIBUTES).map((key) => key.name);

/** `temporal server start-dev` flags that register them. */
export const startDevSearchAttributeFlags = (): string[] => SEARCH_ATTRIBUTE_NAMES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
