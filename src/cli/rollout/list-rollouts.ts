// Rollouts as Temporal's visibility sees them, with the route and outcome the workflow keeps in
// its memo.
import type { Client } from '@temporalio/client';
import { formatDuration } from '../../config/duration';
import { ROLLOUT_WORKFLOW_TYPE } from '../../workflows/messages';
import { ROLLOUT_SEARCH_ATTRIBUTES as SA } from '../../temporal/search-attributes';

export interface RolloutRow {
  rolloutId: string;
  route: string;
  temporalStatus: string;
  outcome: string | null;
  startedAt: string;
  closedAt: string | null;
  age: string;
}

export async function listRollouts(client: Client, limit: number, query = `WorkflowType = '${ROLLOUT_WORKFLOW_TYPE}'`): Promise<RolloutRow[]> {
  const rows: RolloutRow[] = [];
  for await (const execution of client.workflow.list({ query })) {
    const memo = (execution.memo ?? {}) as { route?: string; outcome?: string | null };
    rows.push({
      rolloutId: execution.workflowId,
      route: memo.route ?? '?',
      temporalStatus: execution.status.name,
      outcome: memo.outcome ?? (execution.status.name === 'FAILED' ? 'Failed' : execution.status.name === 'CANCELLED' ? 'Cancelled' : null),
      startedAt: execution.startTime.toISOString(),
      closedAt: execution.closeTime?.toISOString() ?? null,
      age: formatDuration(Date.now() - execution.startTime.getTime()),
    });
    if (rows.length >= limit) break;
  }
  return rows;
}

export interface ListFilters {
  route?: string;
  phase?: string;
  outcome?: string;
  /** started at most this long ago */
  sinceMs?: number;
}

const quoted = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The visibility query for the filters: Gantry's search attributes, as in the Web UI or `temporal workflow list --query`. */
export function listQuery(filters: ListFilters, now: number): string {
  const terms = [`WorkflowType = '${ROLLOUT_WORKFLOW_TYPE}'`];
  if (filters.route !== undefined) terms.push(`${SA.route.name} = ${quoted(filters.route)}`);
  if (filters.phase !== undefined) terms.push(`${SA.phase.name} = ${quoted(filters.phase)}`);
  if (filters.outcome !== undefined) terms.push(`${SA.outcome.name} = ${quoted(filters.outcome)}`);
  if (filters.sinceMs !== undefined) terms.push(`StartTime > '${new Date(now - filters.sinceMs).toISOString()}'`);
  return terms.join(' AND ');
}

/** The id of the rollout running on a route, if any. */
export async function runningRolloutOnRoute(client: Client, route: string): Promise<string | undefined> {
  const running = await listRollouts(client, 1_000, `WorkflowType = '${ROLLOUT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`);
  return running.find((r) => r.route === route)?.rolloutId;
}
