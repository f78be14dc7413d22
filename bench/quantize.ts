// bench/quantize: the quantize activity (what the host agent runs: header check, the source's
// digest remembered or hashed while llama-quantize works, the output checked and hashed, the record
// written) against the bare llama-quantize command on the same file, run alternately in the same
// process, for a source the host has seen and for a new one; and the quantization-loss measurement
// against the two bare llama-perplexity runs it wraps.
//   npm run bench:quantize -- [--runs 5] [--type Q8_0] [--source .gantry/models/gemma-3-270m-f16.gguf]
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createArtifactActivities, type ModelArtifact } from '../src/activities/artifacts';
import { REPO_ROOT, toolPath } from '../src/config/toolchain';
import { median, round } from './stats';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    type: { type: 'string', default: 'Q8_0' },
    source: { type: 'string', default: join(REPO_ROOT, '.gantry/models/gemma-3-270m-f16.gguf') },
    corpus: { type: 'string', default: join(REPO_ROOT, 'configs/corpus/quantization-check.txt') },
  },
});
const log = (line: string): void => void process.stderr.write(`${line}\n`);
if (!existsSync(values.source)) throw new Error(`no source model at ${values.source}: run scripts/prepare-models first`);
const runs = Number(values.runs);
const source = values.source;
const type = values.type;

const activitiesIn = (artifactsDir: string) =>
  createArtifactActivities({
    artifactsDir,
    binaries: {
      llamaQuantize: () => toolPath('llamaQuantize'),
      llamaPerplexity: () => toolPath('llamaPerplexity'),
      convertPython: () => toolPath('convertPython'),
      llamaSource: () => toolPath('llamaSource'),
    },
  });

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

async function bareQuantize(dir: string): Promise<void> {
  await execa(toolPath('llamaQuantize'), ['--allow-requantize', source, join(dir, `bare.${type}.gguf`), type]);
}

/** `seen`: the host has hashed this source before (its digest cache knows it), as on any rerun. */
async function activityQuantize(dir: string, run: number, seen = false): Promise<string> {
  if (seen) copyFileSync(warmDigests, join(dir, 'source-digests.json'));
  const env = new MockActivityEnvironment();
  const artifact: ModelArtifact = await env.run(activitiesIn(dir).quantizeModel, { rolloutId: `bench-${run}`, source, type });
  if (artifact.reused) throw new Error('the benchmark must quantize, not reuse');
  return artifact.path;
}

const bare: number[] = [];
const activity: number[] = [];
const activityNewSource: number[] = [];
let artifactForLoss: string | undefined;
const workDir = mkdtempSync(join(tmpdir(), 'gantry-bench-quantize-'));
// A first, untimed run of each warms the page cache for both.
log(`warm-up: ${source} → ${type}`);
await bareQuantize(mkdtempSync(join(workDir, 'w-')));
const warmDir = mkdtempSync(join(workDir, 'w-'));
await activityQuantize(warmDir, -1);
const warmDigests = join(warmDir, 'source-digests.json');
for (let run = 0; run < runs; run++) {
  // Alternate which goes first, so drift on a shared machine hits both alike.
  const order = run % 2 === 0 ? ['bare', 'activity', 'new-source'] : ['new-source', 'activity', 'bare'];
  for (const which of order) {
    const dir = mkdtempSync(join(workDir, `${which}-`));
    if (which === 'bare') bare.push(await timed(() => bareQuantize(dir)));
    else if (which === 'new-source') activityNewSource.push(await timed(() => activityQuantize(dir, run)));
    else
      activity.push(
        await timed(async () => {
          artifactForLoss = await activityQuantize(dir, run, true);
        }),
      );
    if (which !== 'activity' || run < runs - 1) rmSync(dir, { recursive: true, force: true });
  }
  log(
    `run ${run + 1}/${runs}: bare ${bare.at(-1)?.toFixed(2)}s, activity ${activity.at(-1)?.toFixed(2)}s, activity on a new source ${activityNewSource.at(-1)?.toFixed(2)}s`,
  );
}

// The loss: the activity against the two llama-perplexity commands it runs, alternately.
const lossBare: number[] = [];
const lossActivity: number[] = [];
const lossRuns = Math.max(1, Math.min(3, runs));
const perplexity = (args: string[]) => execa(toolPath('llamaPerplexity'), ['-f', values.corpus, '-c', '128', '-b', '128', ...args]);
let figures: unknown;
for (let run = 0; run < lossRuns && artifactForLoss; run++) {
  const artifact = artifactForLoss;
  const base = join(workDir, 'bench.kld');
  lossBare.push(
    await timed(async () => {
      await perplexity(['-m', source, '--kl-divergence-base', base]);
      await perplexity(['-m', artifact, '--kl-divergence-base', base, '--kl-divergence']);
    }),
  );
  rmSync(base, { force: true });
  const env = new MockActivityEnvironment();
  lossActivity.push(
    await timed(async () => {
      figures = await env.run(activitiesIn(join(workDir, 'loss')).measureQuantizationLoss, {
        rolloutId: `bench-loss-${run}`,
        artifact,
        sourceGguf: source,
        corpus: values.corpus,
        contextSize: 128,
      });
    }),
  );
  log(`loss run ${run + 1}/${lossRuns}: bare ${lossBare.at(-1)?.toFixed(2)}s, activity ${lossActivity.at(-1)?.toFixed(2)}s`);
}
rmSync(workDir, { recursive: true, force: true });

const report = {
  machine: { cores: cpus().length, node: process.version },
  source,
  type,
  runs,
  quantize: {
    bareSeconds: { median: round(median(bare)), all: bare.map((v) => round(v)) },
    activitySeconds: { median: round(median(activity)), all: activity.map((v) => round(v)) },
    ratio: round(median(activity) / median(bare)),
    target: '≤ 1.03',
    // The first quantization of a source also hashes it (alongside llama-quantize, on the same cores).
    activityNewSourceSeconds: { median: round(median(activityNewSource)), all: activityNewSource.map((v) => round(v)) },
    ratioNewSource: round(median(activityNewSource) / median(bare)),
  },
  quantizationLoss: {
    corpus: values.corpus,
    bareSeconds: round(median(lossBare)),
    activitySeconds: round(median(lossActivity)),
    ratio: round(median(lossActivity) / median(lossBare)),
    figures,
  },
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
