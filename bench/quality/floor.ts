// (f) Equivalence judged against the route's noise floor, simulated: rollouts whose candidate is as
// good as the stable (A/A: the candidate's equivalence share equals the floor's), looked at every
// hour for a week, on a greedy route (the stable agrees with itself 97% of the time) and a sampled
// one (60%); then candidates 20 points below the floor. Each beside the old rule (significantly
// below a fixed 80% fails), measured on the same simulated pairs.
import { compareToFloor } from '../../src/analysis/quality/floor-comparison';
import { logEvidenceBelow, logThreshold } from '../../src/analysis/sequential';
import { seededRandom } from '../../src/analysis/seeded-random';

interface Route {
  name: string;
  /** the share of the stable's own second answers that are equivalent to its first */
  floor: number;
}

const ROUTES: Route[] = [
  { name: 'greedy', floor: 0.97 },
  { name: 'sampled', floor: 0.6 },
];

function binomial(n: number, p: number, next: () => number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (next() < p) k += 1;
  return k;
}

interface Run {
  /** pairs the candidate had when the rule first failed it; null: never within the horizon */
  floorRule: number | null;
  oldRule: number | null;
}

function simulate(candidateShare: number, floorShare: number, hours: number, perHour: number, floorPerHour: number, next: () => number): Run {
  const alpha = 0.05;
  const margin = 0.1;
  const threshold = logThreshold(alpha);
  let [k, n, fk, fn] = [0, 0, 0, 0];
  const run: Run = { floorRule: null, oldRule: null };
  for (let hour = 0; hour < hours && (run.floorRule === null || run.oldRule === null); hour++) {
    k += binomial(perHour, candidateShare, next);
    n += perHour;
    fk += binomial(floorPerHour, floorShare, next);
    fn += floorPerHour;
    if (run.floorRule === null && compareToFloor({ k, n }, { k: fk, n: fn }, alpha, margin, 'higher').status === 'beyond') run.floorRule = n;
    if (run.oldRule === null && logEvidenceBelow(k, n, 0.8) >= threshold) run.oldRule = n;
  }
  return run;
}

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? null;
};

export function measureFloorDecisions(options: { rollouts: number; hours: number; perHour: number; floorPerHour: number }): Record<string, unknown> {
  const next = seededRandom(20261207);
  const rows = ROUTES.flatMap((route) => {
    const aa = Array.from({ length: options.rollouts }, () => simulate(route.floor, route.floor, options.hours, options.perHour, options.floorPerHour, next));
    const drop = Array.from({ length: options.rollouts }, () =>
      simulate(route.floor - 0.2, route.floor, options.hours, options.perHour, options.floorPerHour, next),
    );
    const rate = (runs: Run[], rule: keyof Run): number => +(runs.filter((r) => r[rule] !== null).length / runs.length).toFixed(4);
    const detectedAt = (runs: Run[], rule: keyof Run): number | null => median(runs.map((r) => r[rule]).filter((v): v is number => v !== null));
    return [
      {
        route: route.name,
        floor: route.floor,
        falseAlarmRate: { floorRule: rate(aa, 'floorRule'), oldFixed80: rate(aa, 'oldRule'), alpha: 0.05 },
        power20PointDrop: { floorRule: rate(drop, 'floorRule'), oldFixed80: rate(drop, 'oldRule') },
        medianPairsToDetect: { floorRule: detectedAt(drop, 'floorRule'), oldFixed80: detectedAt(drop, 'oldRule') },
      },
    ];
  });
  return { rollouts: options.rollouts, hourlyLooks: options.hours, pairsPerHour: options.perHour, floorPairsPerHour: options.floorPerHour, margin: 0.1, rows };
}
