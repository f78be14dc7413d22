// Operator commands as Updates (answered at once; refused ones rejected by the validator) and as
// Signals (outcome recorded under the requestId). Both go through the same parse and decision, and
// an accepted command is applied in one place.
import { ApplicationFailure, log, setHandler } from '@temporalio/workflow';
import { decideCommand, parseCommand, type Command, type CommandName, type Decision } from './commands';
import {
  advanceSignal,
  advanceUpdate,
  approveSignal,
  approveUpdate,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  recordRatingsUpdate,
  rollbackSignal,
  rollbackUpdate,
  revertSignal,
  revertUpdate,
  type RatingsRecord,
  type RatingsRequest,
} from './messages';
import type { RolloutContext } from './rollout-context';
import type { CommandRecord } from './state/rollout-state';
import { notify } from './notify';
import { reclassify } from './quality';

function validateRatings(ctx: RolloutContext, request: unknown): void {
  const refuse = (message: string): never => {
    throw ApplicationFailure.create({ type: CommandRejection.INVALID, message: `recordRatings: ${message}`, nonRetryable: true });
  };
  if (ctx.rollout.state.result)
    throw ApplicationFailure.create({
      type: CommandRejection.REFUSED,
      message: `the rollout has ended (${ctx.rollout.state.result.outcome})`,
      nonRetryable: true,
    });
  // Ratings count for a metric of kind ratings, or settle a quality hold (the experts' review).
  if (!ctx.spec.quality) refuse('this rollout does not judge answer quality (quality: off)');
  const ratings = (request as { ratings?: unknown } | null)?.ratings;
  if (!Array.isArray(ratings) || ratings.length === 0) refuse('"ratings" must be a non-empty array');
  (ratings as unknown[]).forEach((r, i) => {
    const item = r as { itemId?: unknown; variant?: unknown; rating?: unknown };
    if (typeof item.itemId !== 'string' || item.itemId === '') refuse(`ratings[${i}].itemId must be a string`);
    if (item.variant !== 'stable' && item.variant !== 'candidate') refuse(`ratings[${i}].variant must be "stable" or "candidate"`);
    if (typeof item.rating !== 'number' || !Number.isFinite(item.rating) || item.rating < 1 || item.rating > 5)
      refuse(`ratings[${i}].rating must be a number from 1 to 5`);
  });
}

/** Failure types an update's caller can branch on. */
export const CommandRejection = { INVALID: 'INVALID_COMMAND', REFUSED: 'REFUSED' } as const;

export function installCommandHandlers(ctx: RolloutContext, onRollback: (command: Command) => void): void {
  const { rollout, control } = ctx;
  const apply: Record<CommandName, (command: Command) => void> = {
    rollback: onRollback,
    pause: (command) => {
      rollout.pause(command.by, command.reason);
      void notify(ctx, 'paused', 'WARNING', `paused by ${command.by}${command.reason ? `: ${command.reason}` : ''}`);
    },
    resume: (command) => {
      rollout.resume();
      void notify(ctx, 'resumed', 'INFO', `resumed by ${command.by}`);
    },
    advance: (command) => {
      control.exit = command.force ? 'forced' : 'advanced';
    },
    approve: () => {
      control.exit = 'approved';
    },
    revert: (command) => {
      control.revert = { by: command.by, reason: command.reason };
    },
  };

  const accept = (command: Command, decision: Decision, at: number): CommandRecord => {
    const record: CommandRecord = { requestId: command.requestId, command: command.name, by: command.by, at, accepted: true, message: decision.message };
    rollout.commandRecorded(record);
    rollout.commandApplied(command.by, command.name, command.reason, decision.message);
    apply[command.name](command);
    control.version += 1;
    return record;
  };

  const decide = (name: CommandName, payload: unknown, at: number): { command: Command; decision: Decision } => {
    const parsed = parseCommand(name, payload);
    if (!parsed.ok) throw ApplicationFailure.create({ type: CommandRejection.INVALID, message: parsed.message, nonRetryable: true });
    const decision = decideCommand(rollout.state, parsed.command, at);
    if (!decision.accepted) throw ApplicationFailure.create({ type: CommandRejection.REFUSED, message: decision.message, nonRetryable: true });
    return { command: parsed.command, decision };
  };

  const onSignal =
    (name: CommandName) =>
    (payload: unknown): void => {
      const at = Date.now();
      const parsed = parseCommand(name, payload);
      if (!parsed.ok) {
        rollout.commandRecorded({ requestId: parsed.requestId, command: name, by: parsed.by, at, accepted: false, message: parsed.message });
        log.warn('malformed command refused', { rolloutId: rollout.state.rolloutId, command: name, message: parsed.message });
        return;
      }
      const decision = decideCommand(rollout.state, parsed.command, at);
      if (!decision.accepted) {
        rollout.commandRecorded({ requestId: parsed.command.requestId, command: name, by: parsed.command.by, at, accepted: false, message: decision.message });
        return;
      }
      accept(parsed.command, decision, at);
    };

  const onUpdate = (name: CommandName) => ({
    validator: (payload: unknown): void => {
      decide(name, payload, Date.now());
    },
    handler: (payload: unknown): CommandRecord => {
      const at = Date.now();
      const { command, decision } = decide(name, payload, at);
      return accept(command, decision, at);
    },
  });

  setHandler(rollbackSignal, onSignal('rollback'));
  setHandler(pauseSignal, onSignal('pause'));
  setHandler(resumeSignal, onSignal('resume'));
  setHandler(advanceSignal, onSignal('advance'));
  setHandler(approveSignal, onSignal('approve'));
  setHandler(revertSignal, onSignal('revert'));

  setHandler(
    recordRatingsUpdate,
    (request: RatingsRequest): RatingsRecord => {
      const by = typeof request.by === 'string' && request.by.trim() ? request.by.trim() : 'unknown';
      const accepted = rollout.ratingsRecorded(request.ratings);
      const duplicates = request.ratings.length - accepted;
      const message = `${accepted} ratings recorded${duplicates ? ` (${duplicates} rated before, not counted again)` : ''}`;
      rollout.commandApplied(by, 'ratings', request.reason ?? '', message);
      reclassify(ctx);
      control.version += 1; // a quality gate waiting for the ratings looks again
      return { accepted, duplicates, message };
    },
    { validator: (request: unknown) => validateRatings(ctx, request) },
  );

  for (const [definition, name] of [
    [rollbackUpdate, 'rollback'],
    [pauseUpdate, 'pause'],
    [resumeUpdate, 'resume'],
    [advanceUpdate, 'advance'],
    [approveUpdate, 'approve'],
    [revertUpdate, 'revert'],
  ] as const) {
    const { validator, handler } = onUpdate(name);
    setHandler(definition, handler, { validator });
  }
}
