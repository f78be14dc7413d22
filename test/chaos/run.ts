// npm run chaos [-- --seed N] [--runs N] [--only I]: compressed rollouts of the real model on the
// real stack, each meeting a seeded fault, then the table of what happened. Exit 1 when a rollout's
// verdict differs from the undisturbed one or it left an orphan, a second candidate server, a lost
// pair or a user error behind; the seed to run again is printed first and last.
import { parseArgs } from 'node:util';
import { startRealStack } from '../helpers/real-stack';
import { planChaos } from './plan';
import { chaosRollout, formatTable, type ChaosRow } from './chaos-rollout';
import { PairDisk } from './pair-disk';
import { join } from 'node:path';

const { values } = parseArgs({
  options: { seed: { type: 'string' }, runs: { type: 'string', default: '20' }, only: { type: 'string' } },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed);
const runs = Number(values.runs);
if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1) {
  console.error('chaos: --seed and --runs must be whole numbers (runs ≥ 1)');
  process.exit(2);
}
const plan = planChaos(seed, runs).filter((p) => values.only === undefined || p.index === Number(values.only));
console.log(`chaos: seed ${seed}, ${plan.length} rollouts (run again with: npm run chaos -- --seed ${seed} --runs ${runs})`);

// The pair store on a small disk of its own, for the disk-full fault.
let disk: PairDisk | string = 'not mounted';
const stack = await startRealStack(
  { metricSource: 'prometheus' },
  {
    beforeUp: async (config) => {
      disk = await PairDisk.mount(join(config.stateDir, 'gateway', 'pairs'), 64);
    },
    afterDown: async () => {
      if (disk instanceof PairDisk) await disk.unmount();
    },
  },
);
if (typeof disk === 'string') console.log(`chaos: no disk of its own for the pair store (${disk}): disk-full rows will fail`);
const rows: ChaosRow[] = [];
try {
  for (const planned of plan) {
    const started = Date.now();
    const row = await chaosRollout(stack, planned, seed, disk);
    rows.push(row);
    console.log(
      `  #${row.index} ${row.fault} in ${row.phase}: ${row.outcome} (expected ${row.expected}) in ${Math.round((Date.now() - started) / 1000)}s — ${row.detail}`,
    );
    if (!row.ok) console.log(`     FAILED: ${row.reason || 'no reason given'}`);
  }
} finally {
  await stack.stop();
}
console.log(`\n${formatTable(rows)}`);
const failed = rows.filter((r) => !r.ok);
if (failed.length > 0) {
  console.log(`\nFAILED: seed ${seed}, rollout${failed.length > 1 ? 's' : ''} ${failed.map((r) => `#${r.index}`).join(', ')}`);
  console.log(`run one again alone with: npm run chaos -- --seed ${seed} --runs ${runs} --only ${failed[0]?.index ?? 0}`);
  process.exit(1);
}
console.log(`\nall ${rows.length} rollouts reached their undisturbed verdict, with nothing orphaned or lost (seed ${seed})`);
