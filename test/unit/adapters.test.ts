import { modelServerEnv } from '../../src/hosts/server-env';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuantizeProgress, quantizeArgs } from '../../src/adapters/llama-quantize';
import { inspectGguf, readGgufHeader, GgufError } from '../../src/adapters/gguf-file';
import { llamaServerCommand, vllmCommand } from '../../src/adapters/model-server-engine';
import { serverOptionsSchema } from '../../src/config/spec';

describe('llama-quantize adapter', () => {
  it('parses per-tensor progress lines captured from llama-quantize', () => {
    // real lines, captured from quantizing Gemma 3 270M F16 → Q8_0
    assert.deepEqual(
      parseQuantizeProgress(
        '[   2/ 236] token_embd.weight                    - [   640, 262144,      1,      1], type =    f16, converting to q8_0 .. size =   320.00 MiB ->   170.00 MiB',
      ),
      { tensor: 2, tensors: 236 },
    );
    assert.deepEqual(parseQuantizeProgress('[ 236/ 236]                    blk.17.ffn_up.weight - [  640,  2048,     1,     1], type =    f16'), {
      tensor: 236,
      tensors: 236,
    });
    assert.equal(parseQuantizeProgress('llama_quantize: quantize time =  2820.90 ms'), undefined);
  });
  it('builds the command', () => {
    assert.deepEqual(quantizeArgs({ binary: 'q', source: 'in.gguf', output: 'out.gguf', type: 'Q8_0', threads: 2 }), [
      '--allow-requantize',
      'in.gguf',
      'out.gguf',
      'Q8_0',
      '2',
    ]);
  });
});

describe('GGUF checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-gguf-'));
  it('accepts a GGUF header and hashes the file', async () => {
    const file = join(dir, 'ok.gguf');
    const header = Buffer.alloc(32);
    header.write('GGUF', 0, 'latin1');
    header.writeUInt32LE(3, 4);
    writeFileSync(file, header);
    const info = await inspectGguf(file);
    assert.equal(info.version, 3);
    assert.equal(info.sizeBytes, 32);
    assert.match(info.sha256, /^[0-9a-f]{64}$/);
  });
  it('names a missing file and a file that is not GGUF', async () => {
    await assert.rejects(
      readGgufHeader(join(dir, 'nope.gguf')),
      (e: unknown) => e instanceof GgufError && e.kind === 'missing' && /model file not found/.test(e.message),
    );
    const text = join(dir, 'model.gguf');
    writeFileSync(text, 'this is a text file pretending to be a model');
    await assert.rejects(
      readGgufHeader(text),
      (e: unknown) => e instanceof GgufError && e.kind === 'invalid' && /is not a GGUF model \(bad magic "this"\)/.test(e.message),
    );
    const tiny = join(dir, 'tiny.gguf');
    writeFileSync(tiny, 'GGUF');
    await assert.rejects(readGgufHeader(tiny), /is not a GGUF model \(4 bytes\)/);
  });
});

describe('model server commands', () => {
  const options = serverOptionsSchema.parse({ contextSize: 4096, threads: 2, parallel: 4, chatTemplateFile: '/t.jinja', extraArgs: ['--flash-attn', 'on'] });
  const request = { engine: 'llama.cpp' as const, modelPath: '/m.gguf', port: 8081, host: '127.0.0.1', servedName: 'chat', options };
  it('llama-server serves metrics, the alias and the template', () => {
    const { args } = llamaServerCommand('/bin/llama-server', request);
    assert.deepEqual(args.slice(0, 7), ['-m', '/m.gguf', '--host', '127.0.0.1', '--port', '8081', '--metrics']);
    for (const expected of [
      ['-c', '4096'],
      ['-np', '4'],
      ['-t', '2'],
      ['--alias', 'chat'],
      ['--chat-template-file', '/t.jinja'],
    ]) {
      const at = args.indexOf(expected[0] as string);
      assert.equal(args[at + 1], expected[1]);
    }
    assert.deepEqual(args.slice(-2), ['--flash-attn', 'on']);
  });
  it('vllm serve speaks the same protocol', () => {
    const { file, args } = vllmCommand('vllm', { ...request, engine: 'vllm' });
    assert.equal(file, 'vllm');
    assert.deepEqual(args.slice(0, 2), ['serve', '/m.gguf']);
    assert.equal(args[args.indexOf('--max-model-len') + 1], '4096');
    assert.equal(args[args.indexOf('--served-model-name') + 1], 'chat');
  });
});

describe('what a model server inherits', () => {
  it("keeps paths, locale and engine settings, and none of the host agent's secrets", () => {
    const env = modelServerEnv({
      PATH: '/usr/bin',
      HOME: '/root',
      LC_ALL: 'C.UTF-8',
      CUDA_VISIBLE_DEVICES: '0',
      VLLM_USE_V1: '1',
      OMP_NUM_THREADS: '2',
      GANTRY_ADMIN_TOKEN: 'admin-token-0123456789',
      GANTRY_PAYLOAD_KEY: 'key',
      TEMPORAL_API_KEY: 'tk',
      GANTRY_PAIR_STORE_URL: 'postgres://gantry:secret@db/gantry',
      AWS_SECRET_ACCESS_KEY: 'aws',
      STABLE_API_KEY: 'sk',
    });
    assert.deepEqual(Object.keys(env).sort(), ['CUDA_VISIBLE_DEVICES', 'HOME', 'LC_ALL', 'OMP_NUM_THREADS', 'PATH', 'VLLM_USE_V1']);
  });
});
