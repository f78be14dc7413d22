// The workflow checks its own input: a rollout started by any Temporal client with a spec the CLI
// would refuse, or an id that would name a folder outside the workers' data folders, fails at once
// with one line, and no activity runs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../helpers/workflow-env';
import { newWorld } from '../helpers/fake-activities';
import { weeksLongSpec } from '../helpers/specs';
import { rolloutWorkflow } from '../../src/workflows';
import { CONTROL_TASK_QUEUE } from '../../src/workflows/messages';
import type { RolloutSpec } from '../../src/config/spec';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await timeSkippingEnv();
});
after(async () => {
  await teardownEnv(env);
});

async function failureOf(rolloutId: string, spec: RolloutSpec): Promise<ApplicationFailure> {
  try {
    await env.client.workflow.execute(rolloutWorkflow, {
      workflowId: `input-check-${process.pid}-${Math.random().toString(36).slice(2)}`,
      taskQueue: CONTROL_TASK_QUEUE,
      args: [{ rolloutId, spec, startedBy: 'any-temporal-client' }],
    });
  } catch (error) {
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
    return error.cause;
  }
  throw new Error('the rollout did not fail');
}

describe('a rollout started without the CLI', () => {
  it('fails at once, naming the field, when the spec is one the CLI would refuse; nothing runs', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      const good = weeksLongSpec();
      const cases: [RolloutSpec, RegExp][] = [
        [{ ...good, canary: { steps: [{ ...good.canary.steps[0]!, weight: 250 }] } }, /^invalid spec: canary\.steps\[0\]\.weight: Too big/],
        [
          { ...good, candidate: { ...good.candidate, server: { ...good.candidate.server, extraArgs: ['--host', '0.0.0.0'] } } },
          /^invalid spec: candidate\.server\.extraArgs: --host is set by Gantry/,
        ],
        [
          { ...good, stable: { endpoint: 'https://attacker.example/v1', apiKeyEnv: 'GANTRY_ADMIN_TOKEN' } },
          /^invalid spec: stable\.apiKeyEnv: names a variable Gantry keeps for itself/,
        ],
        [{ ...good, name: 'Not A Name' }, /^invalid spec: name: lowercase letters, digits and dashes/],
        [{ ...good, canary: undefined } as unknown as RolloutSpec, /^invalid spec: canary: /],
      ];
      for (const [spec, message] of cases) {
        const failure = await failureOf('input-check-spec', spec);
        assert.equal(failure.type, 'INVALID_SPEC');
        assert.match(failure.message, message);
        assert.ok(!failure.message.includes('\n'), 'one line');
      }
      assert.deepEqual(world.calls, [], 'no activity ran');
    });
  });

  it('refuses a rollout id that could name a folder outside the data folders', async () => {
    const world = newWorld();
    await withWorkers(env, world, async () => {
      for (const id of ['../../..', '.hidden', 'a/b', '']) {
        const failure = await failureOf(id, weeksLongSpec());
        assert.equal(failure.type, 'INVALID_SPEC');
        assert.match(failure.message, /^rollout id .* is not allowed/);
      }
      assert.deepEqual(world.calls, []);
    });
  });
});
