// The chaos suite's schedule: for a seed, which rollouts run (a good candidate or a bad one), which
// fault each meets, in which phase and how long after that phase begins. Pure: the same seed gives
// the same schedule, so a failing seed can be run again.
import { seededRandom } from '../../src/analysis/seeded-random';

/**
 * metrics-down: the metric source away for a few windows; metrics-outage: longer than the whole
 * canary; kill-stable-server, kill-candidate-server: that llama-server killed under load (its host
 * agent brings it back); disk-full: the disk under the pair store full for a while;
 * kill-control-plane: the orchestrator, the host agent, the gateway and Temporal killed at once.
 */
export const FAULTS = [
  'kill-orchestrator',
  'kill-host-agent',
  'kill-gateway',
  'kill-temporal',
  'kill-control-plane',
  'metrics-down',
  'metrics-outage',
  'kill-stable-server',
  'kill-candidate-server',
  'disk-full',
] as const;
export type FaultKind = (typeof FAULTS)[number];

export interface PlannedRollout {
  index: number;
  /** good: expected Promoted; bad (context window too small for the prompts): expected RolledBack */
  candidate: 'good' | 'bad';
  fault: FaultKind;
  /** the phase in which the fault strikes */
  phase: 'Shadow' | 'Canary';
  /** how long after that phase begins */
  delayMs: number;
}

export const expectedOutcome = (planned: PlannedRollout): 'Promoted' | 'RolledBack' => (planned.candidate === 'good' ? 'Promoted' : 'RolledBack');

/**
 * `runs` rollouts; the faults go round in a shuffled order, so every kind is met once in every
 * FAULTS.length rollouts. A bad candidate is rolled back in its shadow phase, so its fault strikes there.
 * The candidate's server is killed in the shadow phase only: in the 20-second canary step the
 * seconds of its revival are an eighth of the candidate's requests, which the promotion evaluation
 * rightly holds against it (nothing tells a kill from a candidate that crashes on its own). The
 * disk under the pair store fills in the shadow phase too: the canary records no pairs.
 */
export function planChaos(seed: number, runs: number): PlannedRollout[] {
  const random = seededRandom(seed);
  const order = [...FAULTS].sort(() => random() - 0.5);
  return Array.from({ length: runs }, (_, index) => {
    const candidate = random() < 0.7 ? 'good' : 'bad';
    const fault = order[index % order.length] as FaultKind;
    const shadowOnly = fault === 'kill-candidate-server' || fault === 'disk-full';
    const phase = candidate === 'bad' || shadowOnly || random() < 0.4 ? 'Shadow' : 'Canary';
    return { index, candidate, fault, phase, delayMs: Math.round(random() * 3_000) };
  });
}
