import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideCommand, parseCommand, type Command } from '../../src/workflows/commands';
import { initialRolloutState, type RolloutState, type WaitState } from '../../src/workflows/state/rollout-state';

const cmd = (name: Command['name'], extra: Partial<Command> = {}): Command => ({
  name,
  by: 'ops',
  reason: 'r',
  requestId: null,
  force: false,
  source: 'operator',
  rollbackKind: null,
  overMs: null,
  ...extra,
});
const wait = (over: Partial<WaitState> = {}): WaitState => ({
  kind: 'soak',
  endsOn: 'time',
  startedAt: 0,
  durationMs: 1000,
  pausedMs: 0,
  gateTimeoutAt: null,
  onTimeout: null,
  windowStart: 0,
  lastAnalysisAt: 0,
  analysis: 'canary',
  minPairs: 0,
  ...over,
});
const status = (over: Partial<RolloutState> = {}): RolloutState => ({ ...initialRolloutState('r1', 'chat', 5, 0), stage: 'canary', ...over });
const gradually = (): RolloutState =>
  status({
    closing: 'RollingBack',
    weight: 40,
    wait: wait({ kind: 'step-down' }),
    gradualRollback: { reason: 'slow', by: 'spec', fromWeight: 50, levels: [40, 30, 20, 10], holdMs: 1000, done: 0, startedAt: 0 },
  });

describe('parseCommand', () => {
  it('accepts an object with optional fields and defaults', () => {
    const parsed = parseCommand('advance', { force: true, by: 'ann' });
    assert.deepEqual(parsed, {
      ok: true,
      command: { name: 'advance', by: 'ann', reason: '', requestId: null, force: true, source: 'operator', rollbackKind: null, overMs: null },
    });
    assert.equal(parseCommand('pause', undefined).ok, true);
  });
  const bad: [string, unknown, RegExp][] = [
    ['a string payload', 'oops', /payload must be a JSON object, got string/],
    ['an array payload', [1], /got an array/],
    ['a numeric by', { by: 3 }, /"by" must be a string/],
    ['a string force', { force: 'yes' }, /"force" must be a boolean/],
    ['an unknown source', { source: 'cron' }, /"source" must be "operator" or "schedule"/],
  ];
  for (const [what, payload, message] of bad) {
    it(`refuses ${what}`, () => {
      const parsed = parseCommand('advance', payload);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.message, message);
    });
  }
  it('requires a reason for rollback and keeps the requestId of a bad payload', () => {
    const parsed = parseCommand('rollback', { requestId: 'q1' });
    assert.deepEqual(parsed, { ok: false, requestId: 'q1', by: 'unknown', message: 'rollback: a "reason" is required' });
  });
  it("takes a rollback's kind and length, and refuses them anywhere else", () => {
    const gradual = parseCommand('rollback', { reason: 'slow', kind: 'gradual', over: '5m' });
    assert.equal(gradual.ok && `${gradual.command.rollbackKind} ${gradual.command.overMs}`, 'gradual 300000');
    const plain = parseCommand('rollback', { reason: 'x' });
    assert.equal(plain.ok && `${plain.command.rollbackKind} ${plain.command.overMs}`, 'null null');
    const refused: [string, unknown, string][] = [
      ['rollback', { reason: 'x', kind: 'slowly' }, 'rollback: "kind" must be "immediate" or "gradual"'],
      ['rollback', { reason: 'x', over: '5m' }, 'rollback: "over" needs "kind": "gradual"'],
      ['rollback', { reason: 'x', kind: 'gradual', over: 'soon' }, 'rollback: "over" must be a duration longer than 0, e.g. "10m"'],
      ['rollback', { reason: 'x', kind: 'gradual', over: 0 }, 'rollback: "over" must be a duration longer than 0, e.g. "10m"'],
      ['pause', { kind: 'gradual' }, 'pause: "kind" and "over" belong to rollback'],
    ];
    for (const [name, payload, message] of refused) {
      const parsed = parseCommand(name as Command['name'], payload);
      assert.equal(parsed.ok ? 'accepted' : parsed.message, message);
    }
  });
  it('keeps the sender a malformed command names, for the audit', () => {
    const parsed = parseCommand('rollback', { by: 'alice', requestId: 'q2' });
    assert.deepEqual(parsed, { ok: false, requestId: 'q2', by: 'alice', message: 'rollback: a "reason" is required' });
    const typo = parseCommand('advance', { by: 'bob', force: 'yes' });
    assert.equal(typo.ok === false && typo.by, 'bob');
  });
});

describe('decideCommand', () => {
  const table: [string, RolloutState, Command, boolean, RegExp][] = [
    ['anything after the end', status({ result: { outcome: 'Promoted', reason: '', failureType: null } }), cmd('rollback'), false, /has ended \(Promoted\)/],
    ['rollback while rolling back', status({ closing: 'RollingBack' }), cmd('rollback'), false, /already rolling back/],
    ['rollback during a gradual rollback', gradually(), cmd('rollback'), true, /the gradual rollback finishes at once: r/],
    ['advance during a gradual rollback', gradually(), cmd('advance'), false, /rolling back gradually \(at 40%\): `rollback` finishes it at once/],
    ['pause during a gradual rollback', gradually(), cmd('pause'), true, /paused by ops/],
    [
      'rollback once every level was held',
      { ...gradually(), gradualRollback: { ...(gradually().gradualRollback as NonNullable<RolloutState['gradualRollback']>), done: 4 } },
      cmd('rollback'),
      false,
      /already rolling back/,
    ],
    ['advance a timed step', status({ wait: wait() }), cmd('advance'), true, /advanced by ops/],
    ['advance with no wait', status({ stage: 'quantize' }), cmd('advance'), false, /in Quantize, not waiting/],
    ['advance a manual gate', status({ wait: wait({ kind: 'gate', endsOn: 'approve' }) }), cmd('advance'), false, /use approve/],
    ['schedule advancing a timed step', status({ wait: wait() }), cmd('advance', { source: 'schedule' }), false, /a schedule may only end/],
    [
      'schedule advancing a schedule gate',
      status({ wait: wait({ kind: 'gate', endsOn: 'advance' }) }),
      cmd('advance', { source: 'schedule' }),
      true,
      /advanced/,
    ],
    ['advance while paused', status({ wait: wait(), paused: { since: 0, by: 'x', reason: '' } }), cmd('advance'), false, /paused: resume it first/],
    ['approve a gate', status({ wait: wait({ kind: 'gate', endsOn: 'approve' }) }), cmd('approve'), true, /approved by ops/],
    ['approve with nothing waiting', status({ wait: wait() }), cmd('approve'), false, /nothing is waiting for approval/],
    ['resume when not paused', status(), cmd('resume'), false, /not paused/],
    ['pause twice', status({ paused: { since: 0, by: 'ann', reason: '' } }), cmd('pause'), false, /already paused by ann/],
  ];
  for (const [what, s, c, accepted, message] of table) {
    it(what, () => {
      const decision = decideCommand(s, c, 0);
      assert.equal(decision.accepted, accepted, decision.message);
      assert.match(decision.message, message);
    });
  }
});

describe('revert after promotion', () => {
  const kept = {
    host: 'local',
    deploymentId: 'chat-stable',
    endpoint: 'http://127.0.0.1:9000/v1',
    promoted: { host: 'local', deploymentId: 'r1-candidate' },
    until: 10_000,
  };
  const promoted = (ended: 'reverted' | 'released' | null = null): RolloutState =>
    status({ result: { outcome: 'Promoted', reason: 'ok', failureType: null }, kept: { ...kept, ended } });
  const decide = (state: RolloutState, name: Command['name'], now = 5_000): string => {
    const d = decideCommand(state, cmd(name), now);
    return `${d.accepted ? 'accepted' : 'refused'}: ${d.message}`;
  };

  it('is accepted only while a promoted rollout keeps the previous stable', () => {
    assert.equal(decide(promoted(), 'revert'), 'accepted: revert requested by ops: r');
    assert.equal(decide(status(), 'revert'), 'refused: nothing to revert: the rollout has not been promoted');
    assert.equal(decide(promoted(), 'revert', 10_000), 'refused: nothing to revert: the keep window has ended');
    assert.equal(decide(promoted('released'), 'revert'), 'refused: nothing to revert: the previous stable was already released');
    assert.equal(decide(promoted('reverted'), 'revert'), 'refused: nothing to revert: the previous stable was already reverted');
    const rolledBack = status({ result: { outcome: 'RolledBack', reason: 'x', failureType: null } });
    assert.equal(decide(rolledBack, 'revert'), 'refused: nothing to revert: the rollout ended RolledBack without keeping the previous stable');
  });

  it('points a rollback in the keep window at revert, and needs a reason', () => {
    assert.equal(decide(promoted(), 'rollback'), 'refused: the rollout was promoted: `revert` goes back to the previous stable');
    assert.equal(decide(promoted('released'), 'pause'), 'refused: the rollout has ended (Promoted)');
    assert.deepEqual(parseCommand('revert', { by: 'ops' }), { ok: false, requestId: null, by: 'ops', message: 'revert: a "reason" is required' });
  });
});
