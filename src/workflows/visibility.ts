// What the Temporal Web UI shows of a running rollout: its current details (phase, step, weight,
// last verdict, what it waits for, in Markdown; kept in memory, never in the history) and, when
// the rollout was started with Gantry's search attributes, its phase and outcome as the operator
// filters them. Rollouts started without them (another cluster, older runs) upsert nothing.
import { patched, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ROLLOUT_SEARCH_ATTRIBUTES as SA } from '../temporal/search-attributes';
import type { RolloutContext } from './rollout-context';
import { phaseOf } from './state/rollout-state';
import { waitingFor } from './state/status-view';

/**
 * A run that an older worker began (a first-release history carries the flag when this release's
 * CLI started it) upserted nothing: its replay must not either, so the first upsert is patched.
 */
const SEARCH_ATTRIBUTE_UPSERTS = 'gantry-search-attribute-upserts';

/** Keeps the Web UI's view of the rollout current; cheap enough to call whenever the state may have moved. */
export function publishProgress(ctx: RolloutContext): void {
  const state = ctx.rollout.state;
  const phase = phaseOf(state);
  if (ctx.input.searchAttributes) {
    const published = workflowInfo().typedSearchAttributes.get(SA.phase);
    if (published !== phase && patched(SEARCH_ATTRIBUTE_UPSERTS)) upsertSearchAttributes([{ key: SA.phase, value: phase }]);
    const outcome = state.result?.outcome;
    if (outcome && workflowInfo().typedSearchAttributes.get(SA.outcome) !== outcome && patched(SEARCH_ATTRIBUTE_UPSERTS)) {
      upsertSearchAttributes([{ key: SA.outcome, value: outcome }]);
    }
  }
  setCurrentDetails(currentDetails(ctx, phase));
}

function currentDetails(ctx: RolloutContext, phase: string): string {
  const state = ctx.rollout.state;
  const lines = [`**${phase}**${state.step >= 0 ? ` · canary step ${state.step + 1} of ${state.stepCount}` : ''} · candidate weight **${state.weight}%**`];
  if (state.result) lines.push(`**Outcome** ${state.result.outcome}: ${state.result.reason}`);
  if (state.paused) lines.push(`**Paused** by ${state.paused.by}: ${state.paused.reason}`);
  const last = state.analysis.last;
  if (last) lines.push(`**Last verdict** ${last.verdict}: ${last.summary}`);
  const waiting = waitingFor(state, Date.now());
  if (waiting) lines.push(`**Waiting for** ${waiting}`);
  for (const metric of state.metrics ?? []) lines.push(`- ${metric.verdict}: ${metric.detail}`);
  return lines.join('\n\n');
}
