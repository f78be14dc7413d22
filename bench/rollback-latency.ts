// Rollback latency: time from `gantry rollout rollback` returning to the candidate's weight being 0
// in the gateway, as a ratio to a no-op `temporal workflow signal` round trip on the same dev
// server, measured side by side in one run. Prints JSON. Not part of npm test.
//   node --import tsx bench/rollback-latency.ts [rounds]
import { execa } from 'execa';
import { startRealStack } from '../test/helpers/real-stack';
import { compressedSpec, writeSpec } from '../test/helpers/real-models';
import { statusQuery } from '../src/workflows/messages';
import { toolPath } from '../src/config/toolchain';
import { median } from './stats';

const rounds = Number(process.argv[2] ?? 5);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const stack = await startRealStack();
const address = `127.0.0.1:${stack.config.temporalPort}`;
const spec = compressedSpec('bench', { name: 'bench-rollback', qa: undefined, shadow: undefined, canary: { steps: [{ weight: 50, duration: '1h' }] } });
spec.candidate = { ...spec.candidate, quantize: undefined };
const specFile = writeSpec(spec);
const signalMs: number[] = [];
const rollbackToZeroMs: number[] = [];
const rollbackCliMs: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const id = `bench-rollback-${round}`;
    const start = await stack.cli(['rollout', 'start', specFile, '--id', id]);
    if (start.exitCode !== 0) throw new Error(String(start.stderr));
    const handle = stack.client.workflow.getHandle(id);
    while ((await handle.query(statusQuery)).wait === null) await sleep(100);

    // anchor: a no-op signal's round trip through the temporal CLI, on the same server and rollout
    const t = performance.now();
    await execa(toolPath('temporal'), ['workflow', 'signal', '--address', address, '-w', id, '--name', 'gantry-bench-noop']);
    signalMs.push(performance.now() - t);

    const cliStart = performance.now();
    const rollback = await stack.cli(['rollout', 'rollback', id, '--reason', 'bench']);
    const returned = performance.now();
    if (rollback.exitCode !== 0) throw new Error(String(rollback.stderr));
    rollbackCliMs.push(returned - cliStart);
    while (((await stack.gateway.getRoute('bench'))?.weight ?? 0) !== 0) await sleep(1);
    rollbackToZeroMs.push(performance.now() - returned);
    await handle.result();
  }
} finally {
  await stack.stop();
}
const ratio = median(rollbackToZeroMs) / median(signalMs);
console.log(
  JSON.stringify(
    {
      bench: 'rollback-latency',
      rounds,
      anchor: { name: 'temporal workflow signal (no-op) round trip', medianMs: +median(signalMs).toFixed(1), samplesMs: signalMs.map((x) => +x.toFixed(1)) },
      measured: {
        name: 'gantry rollout rollback returned → candidate weight 0 in the gateway',
        medianMs: +median(rollbackToZeroMs).toFixed(1),
        samplesMs: rollbackToZeroMs.map((x) => +x.toFixed(1)),
      },
      rollbackCliMedianMs: +median(rollbackCliMs).toFixed(1),
      ratio: +ratio.toFixed(3),
      target: '<= 3',
      meetsTarget: ratio <= 3,
    },
    null,
    2,
  ),
);
