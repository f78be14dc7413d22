// A seeded sample of answers to rate, stratified by variant: half the stable's answers, half the
// candidate's, from different pairs, in a shuffled order. Pure, so the same seed gives the same sheet.
import type { ShadowPair } from '../../gateway/pair-store';
import type { RatedVariant } from './blinding';
import { seededRandom } from '../../analysis/seeded-random';
import { normaliseAnswer } from '../../analysis/quality/text';

export interface SampledAnswer {
  pair: ShadowPair;
  variant: RatedVariant;
}

export function seedOf(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  return hash;
}

function shuffle<T>(items: T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

export function sampleAnswers(pairs: readonly ShadowPair[], size: number, seed: number): SampledAnswer[] {
  const next = seededRandom(seed);
  const answered = (p: ShadowPair, variant: RatedVariant): boolean => {
    const side = p[variant];
    return side.status >= 200 && side.status < 300 && typeof side.answer === 'string' && side.answer.trim() !== '';
  };
  const order = shuffle([...pairs], next);
  const half = Math.ceil(size / 2);
  const chosen: SampledAnswer[] = [];
  const used = new Set<string>();
  for (const variant of ['candidate', 'stable'] as const) {
    const quota = variant === 'candidate' ? half : size - half;
    let taken = 0;
    for (const pair of order) {
      if (taken >= quota) break;
      if (used.has(pair.pairId) || !answered(pair, variant)) continue;
      used.add(pair.pairId);
      chosen.push({ pair, variant });
      taken += 1;
    }
  }
  return shuffle(chosen, next);
}

/**
 * The pairs a review is for: the candidate and the stable answered the same prompt differently
 * (the noise floor's A/A pairs are left out: both of their answers are the stable's).
 */
export function disagreeingPairs(pairs: readonly ShadowPair[]): ShadowPair[] {
  return pairs.filter(
    (p) =>
      p.direction !== 'aa' &&
      typeof p.stable.answer === 'string' &&
      typeof p.candidate.answer === 'string' &&
      normaliseAnswer(p.stable.answer) !== normaliseAnswer(p.candidate.answer),
  );
}
