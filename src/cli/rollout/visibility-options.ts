// How a rollout looks in the Temporal Web UI from its start: a one-line summary and Markdown details
// (model, quant type, route, steps), and Gantry's search attributes where the cluster has them.
import { basename } from 'node:path';
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { RolloutSpec } from '../../config/spec';
import { ROLLOUT_SEARCH_ATTRIBUTES as SA, SEARCH_ATTRIBUTE_NAMES } from '../../temporal/search-attributes';

/** True when every Gantry search attribute is registered in the client's namespace. */
export async function hasGantrySearchAttributes(client: Client): Promise<boolean> {
  try {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: client.options.namespace });
    return SEARCH_ATTRIBUTE_NAMES.every((name) => name in customAttributes);
  } catch {
    return false;
  }
}

const candidateName = (spec: RolloutSpec): string => basename(spec.candidate.model.replace(/\/+$/, ''));

export function staticSummary(spec: RolloutSpec): string {
  const quant = spec.candidate.quantize ? ` (${spec.candidate.quantize.type})` : '';
  return `rollout ${spec.name}: ${candidateName(spec)}${quant} on route ${spec.route}`;
}

export function staticDetails(spec: RolloutSpec): string {
  const steps = spec.canary.steps.map((s) => `${s.weight}%`).join(' → ');
  return [
    `**Candidate** \`${spec.candidate.model}\`${spec.candidate.quantize ? ` quantized to ${spec.candidate.quantize.type}` : ''} on host ${spec.candidate.host}`,
    `**Route** ${spec.route}`,
    `**Phases** ${[spec.qa ? 'QA gate' : null, spec.shadow ? 'shadow' : null, `canary ${steps}`].filter(Boolean).join(' → ')}`,
  ].join('\n\n');
}

export function startSearchAttributes(spec: RolloutSpec): TypedSearchAttributes {
  const pairs: SearchAttributePair[] = [
    { key: SA.route, value: spec.route },
    { key: SA.phase, value: 'Pending' },
    { key: SA.candidate, value: candidateName(spec) },
  ];
  return new TypedSearchAttributes(pairs);
}
