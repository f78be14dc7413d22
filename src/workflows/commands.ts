// Operator commands: payload checks and the decision to accept or refuse, given the rollout's
// state. Pure, so every phase × command case is table-tested without a server.
import { phaseOf, type ReadonlyRolloutState } from './state/rollout-state';
import { waitingFor } from './state/status-view';
import { parseDuration } from '../config/duration';
import { currentLevel } from './state/step-down';

/** revert: after a promotion with `keepPrevious`, back to the previous stable while it still serves */
export type CommandName = 'rollback' | 'pause' | 'resume' | 'advance' | 'approve' | 'revert';

export interface Command {
  name: CommandName;
  by: string;
  reason: string;
  requestId: string | null;
  force: boolean;
  source: 'operator' | 'schedule';
  /** rollback only: how; null follows the spec's rollbackPolicy */
  rollbackKind: 'immediate' | 'gradual' | null;
  /** rollback only: a gradual rollback's length instead of the spec's */
  overMs: number | null;
}

export type Parsed = { ok: true; command: Command } | { ok: false; requestId: string | null; by: string; message: string };

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** Signals can come from any client: check the payload's shape instead of trusting it. */
export function parseCommand(name: CommandName, payload: unknown): Parsed {
  if (payload !== undefined && payload !== null && (typeof payload !== 'object' || Array.isArray(payload))) {
    return {
      ok: false,
      requestId: null,
      by: 'unknown',
      message: `${name}: the payload must be a JSON object, got ${Array.isArray(payload) ? 'an array' : typeof payload}`,
    };
  }
  const raw = (payload ?? {}) as Record<string, unknown>;
  const requestId = str(raw.requestId) ?? null;
  // A refused command is still audited under the sender it names, when it names one.
  const by = str(raw.by) ?? 'unknown';
  for (const [field, type] of [
    ['by', 'string'],
    ['reason', 'string'],
    ['requestId', 'string'],
    ['force', 'boolean'],
    ['source', 'string'],
  ] as const) {
    if (raw[field] !== undefined && typeof raw[field] !== type) return { ok: false, requestId, by, message: `${name}: "${field}" must be a ${type}` };
  }
  if (raw.source !== undefined && raw.source !== 'operator' && raw.source !== 'schedule') {
    return { ok: false, requestId, by, message: `${name}: "source" must be "operator" or "schedule"` };
  }
  if ((name === 'rollback' || name === 'revert') && !str(raw.reason)) return { ok: false, requestId, by, message: `${name}: a "reason" is required` };
  const how = parseRollbackHow(name, raw);
  if (typeof how === 'string') return { ok: false, requestId, by, message: how };
  return {
    ok: true,
    command: {
      name,
      by,
      reason: str(raw.reason) ?? '',
      requestId,
      force: raw.force === true,
      source: raw.source === 'schedule' ? 'schedule' : 'operator',
      ...how,
    },
  };
}

/** A rollback's optional `kind` ("immediate" | "gradual") and `over` (a duration such as "10m", or ms); an error in words. */
function parseRollbackHow(name: CommandName, raw: Record<string, unknown>): Pick<Command, 'rollbackKind' | 'overMs'> | string {
  if (name !== 'rollback') {
    if (raw.kind !== undefined || raw.over !== undefined) return `${name}: "kind" and "over" belong to rollback`;
    return { rollbackKind: null, overMs: null };
  }
  if (raw.kind !== undefined && raw.kind !== 'immediate' && raw.kind !== 'gradual') return 'rollback: "kind" must be "immediate" or "gradual"';
  const rollbackKind = raw.kind ?? null;
  if (raw.over === undefined) return { rollbackKind, overMs: null };
  if (rollbackKind !== 'gradual') return 'rollback: "over" needs "kind": "gradual"';
  let overMs: number;
  try {
    overMs = typeof raw.over === 'number' ? raw.over : typeof raw.over === 'string' ? parseDuration(raw.over) : NaN;
  } catch {
    overMs = NaN;
  }
  if (!Number.isFinite(overMs) || overMs <= 0) return 'rollback: "over" must be a duration longer than 0, e.g. "10m"';
  return { rollbackKind, overMs };
}

export interface Decision {
  accepted: boolean;
  message: string;
}

const refuse = (message: string): Decision => ({ accepted: false, message });
const accept = (message: string): Decision => ({ accepted: true, message });

/** A revert is the one command a promoted rollout takes, while it keeps the previous stable serving. */
function decideRevert(state: ReadonlyRolloutState, command: Command, now: number): Decision {
  const kept = state.kept;
  if (state.result?.outcome !== 'Promoted' || !kept) {
    return refuse(
      state.result
        ? `nothing to revert: the rollout ended ${state.result.outcome} without keeping the previous stable`
        : 'nothing to revert: the rollout has not been promoted',
    );
  }
  if (kept.ended !== null) return refuse(`nothing to revert: the previous stable was already ${kept.ended}`);
  if (now >= kept.until) return refuse('nothing to revert: the keep window has ended');
  return accept(`revert requested by ${command.by}: ${command.reason}`);
}

export function decideCommand(state: ReadonlyRolloutState, command: Command, now: number): Decision {
  if (command.name === 'revert') return decideRevert(state, command, now);
  if (state.result !== null) {
    const keeping = state.result.outcome === 'Promoted' && state.kept?.ended === null;
    return refuse(keeping ? 'the rollout was promoted: `revert` goes back to the previous stable' : `the rollout has ended (${state.result.outcome})`);
  }
  // A gradual rollback with levels still to hold; once they are held, it is an ordinary rollback's end.
  const rollingBackGradually =
    state.closing === 'RollingBack' && state.gradualRollback !== null && state.gradualRollback !== undefined && currentLevel(state.gradualRollback) !== null;
  if (rollingBackGradually) {
    // A gradual rollback still takes a rollback (it then finishes at once), and a pause holds its level.
    if (command.name === 'rollback') return accept(`rollback by ${command.by}: the gradual rollback finishes at once: ${command.reason}`);
    if (command.name === 'advance' || command.name === 'approve') {
      return refuse(`the rollout is rolling back gradually (at ${state.weight}%): \`rollback\` finishes it at once`);
    }
  } else if (state.closing === 'RollingBack') return refuse('the rollout is already rolling back');
  if (state.closing === 'Promoting') return refuse('the rollout is being promoted');
  const wait = state.wait;
  const status = {
    paused: state.paused,
    waitingFor: waitingFor(state, now),
    phase: phaseOf(state),
    lastVerdict: state.analysis.last,
    pairs: state.totals.shadow.pairs,
  };
  switch (command.name) {
    case 'rollback':
      return accept(`rollback requested by ${command.by}: ${command.reason}`);
    case 'pause':
      return status.paused ? refuse(`already paused by ${status.paused.by}`) : accept(`paused by ${command.by}`);
    case 'resume':
      return status.paused ? accept(`resumed by ${command.by}`) : refuse('the rollout is not paused');
    case 'advance': {
      if (status.paused) return refuse('the rollout is paused: resume it first');
      if (!wait) return refuse(`nothing to advance: the rollout is in ${status.phase}, not waiting`);
      if (wait.endsOn === 'approve') return refuse(`the rollout is waiting for approval (${status.waitingFor ?? ''}): use approve`);
      if (command.source === 'schedule' && wait.endsOn !== 'advance') {
        return refuse(`a schedule may only end waits of steps with "advance: schedule"; this is ${status.waitingFor ?? wait.kind}`);
      }
      const last = status.lastVerdict;
      if (last?.verdict === 'Fail' && !command.force) {
        return refuse(`the latest analysis failed (${last.summary}): advance with force to override`);
      }
      const pairs = status.pairs;
      if (wait.kind === 'shadow' && pairs < wait.minPairs && !command.force) {
        return refuse(`the shadow phase has ${pairs} of the ${wait.minPairs} pairs it requires: advance with force to skip the minimum`);
      }
      const forcedPast = [
        last?.verdict === 'Fail' ? 'a failing analysis' : '',
        wait.kind === 'shadow' && pairs < wait.minPairs ? 'the shadow pair minimum' : '',
      ].filter(Boolean);
      return accept(`advanced by ${command.by}${command.force && forcedPast.length ? ` (forced past ${forcedPast.join(' and ')})` : ''}`);
    }
    case 'approve':
      return wait?.endsOn === 'approve' ? accept(`approved by ${command.by}`) : refuse('nothing is waiting for approval');
  }
}
