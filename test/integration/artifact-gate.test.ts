// The QA gate on the artifact that ships, on the real stack: a Hugging Face checkpoint folder (a
// tiny random-weight Llama the test writes itself) is converted by llama.cpp's convert_hf_to_gguf.py,
// quantized, measured against its conversion with llama-perplexity, and gated beside the live
// Gemma stable — where it answers nothing right and is blocked. Its record says so; the same
// checkpoint and type again reuse the artifact. Bad checkpoints and quant types never start.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRealStack, type RealStack } from '../helpers/real-stack';
import { chatTemplate, compressedSpec, writeSpec, writeTinyCheckpoint } from '../helpers/real-models';
import type { RolloutResult } from '../../src/workflows/rollout';
import type { ArtifactRecord } from '../../src/hosts/artifact-records';
import { REPO_ROOT } from '../../src/config/toolchain';
import { ExitCode } from '../../src/cli/exit-codes';

let stack: RealStack;
let checkpoint: string;
before(async () => {
  [stack, checkpoint] = await Promise.all([startRealStack(), writeTinyCheckpoint()]);
});
after(async () => {
  await stack?.stop();
});

const server = { contextSize: 2048, threads: 1, chatTemplateFile: chatTemplate };
const corpus = join(REPO_ROOT, 'configs/corpus/quantization-check.txt');

function checkpointSpec(name: string, model: string, type = 'Q8_0') {
  return compressedSpec('chat', {
    name,
    candidate: { model, quantize: { type, loss: { corpus, maxKldMean: 0.05, minSameTop: 0.8 } }, server, readyTimeout: '60s' },
    shadow: undefined,
  });
}

async function run(id: string, specFile: string): Promise<RolloutResult> {
  const start = await stack.cli(['rollout', 'start', specFile, '--id', id]);
  assert.equal(start.exitCode, 0, String(start.stderr));
  return (await stack.client.workflow.getHandle(id).result()) as RolloutResult;
}

describe('a Hugging Face checkpoint through the artifact gate', () => {
  let first: RolloutResult;

  it('is converted, quantized, measured against its conversion and blocked by QA beside the stable', async (t) => {
    first = await run('it-hf-1', writeSpec(checkpointSpec('it-hf', checkpoint)));
    const { status } = first;
    assert.equal(first.outcome, 'RolledBack');
    assert.match(first.reason, /^QA gate failed: /);
    const loss = status.quantLoss;
    assert.ok(loss?.result.measured, JSON.stringify(loss));
    assert.equal(loss.verdict.passed, true, loss.verdict.summary);
    assert.ok(loss.result.kldMean < 0.05 && loss.result.sameTop > 0.8, loss.verdict.summary);
    const qa = status.qa;
    assert.ok(qa?.stable && qa.flips, JSON.stringify(qa));
    assert.equal(qa.target, status.artifact?.path, 'the gate tested the quantized artifact');
    assert.ok(qa.stable.passed > qa.passed, `stable ${qa.stable.passed} vs artifact ${qa.passed}`);
    assert.ok(qa.flips.rightToWrong > 0);
    assert.equal(qa.decision, 'block');
    t.diagnostic(`quantization loss: ${loss.verdict.summary}`);
    t.diagnostic(`QA: ${qa.summary}`);

    const artifact = status.artifact;
    assert.ok(artifact?.record && artifact.sourceGguf, JSON.stringify(artifact));
    assert.match(artifact.path, /tiny-llama\.Q8_0\.gguf$/);
    assert.equal(artifact.reused, false);
    const record = JSON.parse(readFileSync(artifact.record, 'utf8')) as ArtifactRecord;
    assert.equal(record.source.kind, 'hf-checkpoint');
    assert.equal(record.source.path, checkpoint);
    assert.ok(record.source.convertedTo && existsSync(record.source.convertedTo));
    assert.match(record.tools.llamaCpp ?? '', /commit [0-9a-f]+/);
    assert.equal(record.quantLoss?.measured, true);
    assert.deepEqual(
      record.rollouts.map((u) => [u.rolloutId, u.outcome?.result, u.qa?.decision]),
      [['it-hf-1', 'RolledBack', 'block']],
    );
    assert.ok(!existsSync(join(stack.config.stateDir, 'hosts/local/artifacts/it-hf-1/kld-base.bin')), "the source's logits are removed");

    const list = await stack.cli(['model', 'list', '--json']);
    assert.equal(list.exitCode, 0, String(list.stderr));
    assert.ok((JSON.parse(String(list.stdout)) as ArtifactRecord[]).some((r) => r.artifact.path === artifact.path));
    const show = await stack.cli(['model', 'show', artifact.sha256.slice(0, 12)]);
    assert.equal(show.exitCode, 0, String(show.stderr));
    assert.match(String(show.stdout), /hf-checkpoint/);
    assert.match(String(show.stdout), /it-hf-1 .*: RolledBack — QA gate failed/);
    assert.match(String(show.stdout), /^loss {6}mean KLD /m);
  });

  it('the same checkpoint and type again reuse the artifact: no conversion, no quantization', async () => {
    const second = await run('it-hf-2', writeSpec(checkpointSpec('it-hf', checkpoint)));
    const artifact = second.status.artifact;
    assert.equal(artifact?.reused, true);
    assert.equal(artifact.path, first.status.artifact?.path);
    assert.ok(!existsSync(join(stack.config.stateDir, 'hosts/local/artifacts/it-hf-2/tiny-llama.f16.gguf')), 'not converted again');
    assert.deepEqual(second.status.quantLoss?.result, first.status.quantLoss?.result, 'the loss comes from the record');
    const record = JSON.parse(readFileSync(artifact.record ?? '', 'utf8')) as ArtifactRecord;
    assert.deepEqual(
      record.rollouts.map((u) => u.rolloutId),
      ['it-hf-1', 'it-hf-2'],
    );
  });

  it('refuses a checkpoint folder without a config, and a quant type llama-quantize does not know: one line, nothing started', async () => {
    const noConfig = join(checkpoint, '..', 'no-config');
    mkdirSync(noConfig, { recursive: true });
    writeFileSync(join(noConfig, 'model.safetensors'), 'x');
    const cases = [
      {
        id: 'it-bad-folder',
        spec: checkpointSpec('it-bad', noConfig),
        message: /^gantry: candidate\.model: .*no-config is a folder but not a Hugging Face checkpoint: it has no config\.json$/,
      },
      {
        id: 'it-bad-type',
        spec: checkpointSpec('it-bad', checkpoint, 'Q9_K'),
        message: /^gantry: candidate\.quantize\.type: llama-quantize does not know "Q9_K" \(did you mean Q\d_K\?\); it knows .*COPY$/,
      },
    ];
    for (const { id, spec, message } of cases) {
      const result = await stack.cli(['rollout', 'start', writeSpec(spec), '--id', id]);
      assert.equal(result.exitCode, ExitCode.INVALID_INPUT, `${id}: ${String(result.stderr)}`);
      assert.match(String(result.stderr), message);
      await assert.rejects(stack.client.workflow.getHandle(id).describe(), /not found/i, `${id} was started`);
    }
  });
});
