// bench/quality: answer-quality statistics and costs, printed as JSON beside their anchors (progress
// on stderr). Not part of npm test.
//   npm run bench:quality -- [--rollouts 1000] [--only false-alarms,power,savings,throughput] [--pairs-dir .gantry/gateway/pairs]
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../src/config/toolchain';
import { measureFalseAlarms, measurePower } from './quality/false-alarms';
import { measureLikelihoodSeparation } from './quality/likelihood-separation';
import { measureFloorDecisions } from './quality/floor';
import { measureCheapScoring, measureJudgeSavings, measureJudgeThroughput, readRecordedPairs } from './quality/judging-cost';

const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '1000' },
    'judge-pairs': { type: 'string', default: '30' },
    only: { type: 'string', default: 'false-alarms,power,floor,likelihood,savings,throughput' },
    'pairs-dir': { type: 'string', default: join(REPO_ROOT, '.gantry', 'gateway', 'pairs') },
  },
});
const sections = new Set(values.only.split(','));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const rollouts = Number(values.rollouts);
const report: Record<string, unknown> = { machine: { cores: cpus().length, node: process.version } };

if (sections.has('false-alarms')) {
  log(`(a) ${rollouts} rollouts with no difference, looked at hourly for 4 weeks…`);
  report.falseAlarms = measureFalseAlarms({ rollouts, looks: 28 * 24, perHour: 5, alpha: 0.05 });
}
if (sections.has('power')) {
  log('(b) non-tie judgments to catch a 10-point drop at 80% power…');
  report.power = measurePower({ rollouts: Math.min(rollouts, 2000), alpha: 0.05, drop: 0.1, power: 0.8 });
}
if (sections.has('floor')) {
  log(`(f) ${rollouts} rollouts judged against the noise floor, hourly looks for a week, greedy and sampled routes…`);
  // aaRate 0.2 of the candidate's pairs, and an A/A arm as large as the candidate's
  report.floor = [2, 10].map((floorPerHour) => measureFloorDecisions({ rollouts, hours: 7 * 24, perHour: 10, floorPerHour }));
}
if (sections.has('likelihood')) {
  log('(e) the likelihood judge on real answers: a good and three worse candidates, real llama-servers…');
  report.likelihoodSeparation = await measureLikelihoodSeparation(log);
}
const pairs = sections.has('savings') || sections.has('throughput') ? readRecordedPairs(values['pairs-dir']) : [];
if (sections.has('savings')) {
  log(`(c) judge calls saved on ${pairs.length} recorded pairs (${values['pairs-dir']})…`);
  report.judgeSavings = measureJudgeSavings(pairs);
}
if (sections.has('throughput')) {
  log('(d) cheap scores and judge throughput…');
  report.cheapScoring = measureCheapScoring(pairs, 5);
  report.judgeThroughput = await measureJudgeThroughput(pairs, Number(values['judge-pairs']), log);
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
