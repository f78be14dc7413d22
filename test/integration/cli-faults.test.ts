// Bad input and faults through the real CLI: a one-line message naming the problem, an exit code
// that says what kind of problem, and nothing started or left half-started.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { startRealStack, runCli, envFor, stackConfigOnFreePorts, type RealStack } from '../helpers/real-stack';
import { compressedSpec, writeSpec } from '../helpers/real-models';
import { ExitCode } from '../../src/cli/exit-codes';
import { quietPort } from '../helpers/quiet-ports';
import { REPO_ROOT } from '../../src/config/toolchain';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseSpec } from '../../src/config/load-spec';
import { mutatedSpec } from '../helpers/spec-mutations';

let stack: RealStack;
before(async () => {
  stack = await startRealStack();
});
after(async () => {
  await stack?.stop();
});

async function rolloutCount(): Promise<number> {
  let count = 0;
  for await (const _ of stack.client.workflow.list()) count += 1;
  return count;
}

function oneLine(text: unknown): string {
  const lines = String(text).trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got: ${String(text)}`);
  return lines[0] as string;
}

describe('CLI faults', () => {
  it('answers random broken specs with one line and exit 2, starting nothing', async (t) => {
    const seed = Number(process.env.GANTRY_FUZZ_SEED ?? Date.now() % 1_000_000);
    t.diagnostic(`fuzz seed ${seed} (rerun with GANTRY_FUZZ_SEED=${seed})`);
    const broken = mutatedSpec.filter((spec) => {
      try {
        parseSpec(stringify(spec), 'spec.yaml');
        return false;
      } catch {
        return true;
      }
    });
    const before = await rolloutCount();
    const dir = mkdtempSync(join(tmpdir(), 'gantry-fuzz-'));
    for (const [i, spec] of fc.sample(broken, { numRuns: 12, seed }).entries()) {
      const file = join(dir, `spec-${i}.yaml`);
      writeFileSync(file, stringify(spec));
      const result = await stack.cli(['rollout', 'start', file]);
      assert.equal(result.exitCode, ExitCode.INVALID_INPUT, `${file}: ${String(result.stderr)}`);
      assert.match(oneLine(result.stderr), /^gantry: .*spec-\d+\.yaml: /);
    }
    assert.equal(await rolloutCount(), before, 'nothing was started');
  });

  it('refuses an invalid spec with the field path, starting nothing', async () => {
    const before = await rolloutCount();
    const file = writeSpec({ ...compressedSpec('chat'), canary: { steps: [{ weight: 120, duration: '1m' }] } });
    const result = await stack.cli(['rollout', 'start', file]);
    assert.equal(result.exitCode, ExitCode.INVALID_INPUT);
    assert.match(oneLine(result.stderr), /^gantry: .*rollout\.yaml: canary\.steps\[0\]\.weight: /);
    assert.equal(await rolloutCount(), before);
  });

  it('checks a spec with `spec check` without a stack, and prints the schema editors use', async () => {
    const good = await runCli({}, ['spec', 'check', join(REPO_ROOT, 'configs/rollouts/quickstart.yaml')]);
    assert.equal(good.exitCode, 0, String(good.stderr));
    assert.match(
      String(good.stdout),
      /quickstart\.yaml: valid \(rollout gemma-270m-q8 on route chat; quality eval-flips, candidate-failures, safety, equivalent-or-better, likelihood\)/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'gantry-spec-')), 'typo.yaml');
    writeFileSync(file, stringify({ ...compressedSpec('chat'), canery: { steps: [] } }));
    const bad = await runCli({}, ['spec', 'check', file]);
    assert.equal(bad.exitCode, ExitCode.INVALID_INPUT);
    assert.match(oneLine(bad.stderr), /^gantry: .*typo\.yaml: \(root\): unknown field "canery" \(did you mean "canary"\?\)$/);
    const schema = await runCli({}, ['spec', 'schema']);
    assert.equal((JSON.parse(String(schema.stdout)) as { title: string }).title, 'Gantry rollout spec');
  });

  it('refuses a rollout id that could name a folder outside the data folders', async () => {
    const before = await rolloutCount();
    const result = await stack.cli(['rollout', 'start', writeSpec(compressedSpec('chat')), '--id', '../../etc']);
    assert.equal(result.exitCode, ExitCode.INVALID_INPUT);
    assert.match(oneLine(result.stderr), /^gantry: --id: rollout id "\.\.\/\.\.\/etc" is not allowed/);
    assert.equal(await rolloutCount(), before);
  });

  it('refuses a missing model file and a file that is not GGUF, starting nothing', async () => {
    const before = await rolloutCount();
    const missing = await stack.cli(['rollout', 'start', writeSpec({ ...compressedSpec('chat'), candidate: { model: '/models/nope.gguf' } })]);
    assert.equal(missing.exitCode, ExitCode.INVALID_INPUT);
    assert.equal(oneLine(missing.stderr), 'gantry: candidate.model: model file not found: /models/nope.gguf');

    const dir = mkdtempSync(join(tmpdir(), 'gantry-notgguf-'));
    const text = join(dir, 'weights.gguf');
    writeFileSync(text, 'definitely not a model, just some text in a file');
    const notGguf = await stack.cli(['rollout', 'start', writeSpec({ ...compressedSpec('chat'), candidate: { model: text } })]);
    assert.equal(notGguf.exitCode, ExitCode.INVALID_INPUT);
    assert.match(oneLine(notGguf.stderr), /candidate\.model: .*weights\.gguf is not a GGUF model \(bad magic "defi"\)/);
    assert.equal(await rolloutCount(), before);
  });

  it('refuses a broken eval suite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-suite-'));
    const suite = join(dir, 'suite.jsonl');
    writeFileSync(suite, '{"prompt": "What is 2+2?"}\n');
    const spec = compressedSpec('chat');
    const result = await stack.cli(['rollout', 'start', writeSpec({ ...spec, qa: { ...spec.qa, suite } })]);
    assert.equal(result.exitCode, ExitCode.INVALID_INPUT);
    assert.match(oneLine(result.stderr), /qa\.suite: .*suite\.jsonl:1: expected: /);
  });

  it('says a rollout id is unknown', async () => {
    for (const args of [
      ['rollout', 'status', 'no-such-rollout'],
      ['rollout', 'watch', 'no-such-rollout'],
      ['rollout', 'rollback', 'no-such-rollout', '--reason', 'x'],
    ]) {
      const result = await stack.cli(args);
      assert.equal(result.exitCode, ExitCode.NOT_FOUND, args.join(' '));
      assert.match(oneLine(result.stderr), /no rollout with id "no-such-rollout"/);
    }
  });

  it("refuses a rollback's kind flags that contradict each other, before asking Temporal", async () => {
    for (const [args, message] of [
      [['--over', '5m'], 'gantry: rollback: --over needs --gradual'],
      [['--gradual', '--immediate'], 'gantry: rollback: give --gradual or --immediate, not both'],
      [['--gradual', '--over', 'soon'], 'gantry: --over: "soon" is not a duration (use e.g. 500ms, 30s, 5m, 2h, 7d, 1w)'],
    ] as const) {
      const result = await stack.cli(['rollout', 'rollback', 'no-such-rollout', '--reason', 'x', ...args]);
      assert.equal(result.exitCode, ExitCode.INVALID_INPUT, args.join(' '));
      assert.equal(oneLine(result.stderr), message);
    }
  });

  it('refuses a second rollout with an existing id', async () => {
    const spec = writeSpec({ ...compressedSpec('faults'), qa: undefined, shadow: { duration: '10m' } });
    const first = await stack.cli(['rollout', 'start', spec, '--id', 'dup-id']);
    assert.equal(first.exitCode, 0, String(first.stderr));
    const second = await stack.cli(['rollout', 'start', spec, '--id', 'dup-id']);
    assert.equal(second.exitCode, ExitCode.REFUSED);
    assert.equal(oneLine(second.stderr), 'gantry: a rollout with id "dup-id" already exists');
    const rollback = await stack.cli(['rollout', 'rollback', 'dup-id', '--reason', 'test cleanup']);
    assert.equal(rollback.exitCode, 0);
    await stack.client.workflow.getHandle('dup-id').result();
  });

  it('tells the user how to start Temporal when it is not running', async () => {
    const config = await stackConfigOnFreePorts();
    const result = await runCli(envFor(config), ['rollout', 'status', 'anything']);
    assert.equal(result.exitCode, ExitCode.UNAVAILABLE);
    assert.match(oneLine(result.stderr), /Temporal is not reachable at 127\.0\.0\.1:\d+: start the embedded stack with `gantry dev up`/);
  });

  it('refuses dev up when a port is taken, starting nothing', async () => {
    const config = await stackConfigOnFreePorts();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(config.gatewayPort, '127.0.0.1', resolve));
    try {
      const result = await runCli(envFor(config), ['dev', 'up']);
      assert.equal(result.exitCode, ExitCode.REFUSED);
      assert.match(oneLine(result.stderr), new RegExp(`port ${config.gatewayPort} \\(gateway\\) is already in use`));
      const status = await runCli(envFor(config), ['dev', 'status', '--json']);
      const report = JSON.parse(String(status.stdout)) as { processes: { name: string; alive: boolean }[] };
      assert.deepEqual(
        report.processes.map((p) => [p.name, p.alive]),
        [
          ['temporal', false],
          ['gateway', false],
          ['prometheus', false],
          ['orchestrator', false],
          ['host-agent', false],
        ],
        'nothing was started',
      );
      assert.equal(status.exitCode, ExitCode.UNAVAILABLE);
    } finally {
      blocker.close();
    }
  });

  it('reports the running stack as healthy, with pids and ports', async () => {
    const result = await stack.cli(['dev', 'status', '--json']);
    assert.equal(result.exitCode, 0);
    const { processes, warnings } = JSON.parse(String(result.stdout)) as {
      processes: { name: string; healthy: boolean; port: number | null }[];
      warnings: string[];
    };
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      processes.map((p) => [p.name, p.healthy]),
      [
        ['temporal', true],
        ['gateway', true],
        ['prometheus', true],
        ['orchestrator', true],
        ['host-agent', true],
      ],
    );
    assert.equal(processes[1]?.port, stack.config.gatewayPort);
  });

  it('refuses traffic replay of an unreadable prompts file', async () => {
    const result = await stack.cli(['traffic', 'replay', '/nonexistent.jsonl', '--gateway', `http://127.0.0.1:${await quietPort()}`]);
    assert.equal(result.exitCode, ExitCode.INVALID_INPUT);
    assert.equal(oneLine(result.stderr), 'gantry: /nonexistent.jsonl: cannot read the prompts file');
  });

  it('refuses traffic replay with a streamed share outside 0 to 1, before sending anything', async () => {
    const prompts = join(REPO_ROOT, 'configs/prompts/chat.jsonl');
    const result = await stack.cli(['traffic', 'replay', prompts, '--stream', '1.5', '--gateway', `http://127.0.0.1:${await quietPort()}`]);
    assert.equal(result.exitCode, ExitCode.INVALID_INPUT);
    assert.equal(oneLine(result.stderr), 'gantry: --stream must be a share from 0 to 1, got "1.5"');
  });
});
