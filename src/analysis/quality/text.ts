// Text helpers for comparing two answers: normalisation, chrF, and a degeneration measure.

/** Case, width, spacing, surrounding quotes and a final full stop do not make two answers differ. */
export function normaliseAnswer(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["'`“”‘’]+|["'`“”‘’]+$/g, '')
    .replace(/[.!。]+$/, '')
    .trim();
}

function ngramCounts(text: string, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  const chars = [...text];
  for (let i = 0; i + n <= chars.length; i++) {
    const gram = chars.slice(i, i + n).join('');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

/**
 * chrF (Popović 2015) of `hypothesis` against `reference`: character n-grams of 1..6, whitespace
 * removed, averaged precision and recall, F-beta with beta 2 (recall weighs more). 0..1; two
 * empty texts agree fully.
 */
export function chrF(hypothesis: string, reference: string, maxN = 6, beta = 2): number {
  const hyp = hypothesis.replace(/\s+/g, '');
  const ref = reference.replace(/\s+/g, '');
  if (hyp.length === 0 && ref.length === 0) return 1;
  if (hyp.length === 0 || ref.length === 0) return 0;
  let precision = 0;
  let recall = 0;
  let orders = 0;
  for (let n = 1; n <= maxN; n++) {
    const h = ngramCounts(hyp, n);
    const r = ngramCounts(ref, n);
    const hTotal = Math.max(0, [...hyp].length - n + 1);
    const rTotal = Math.max(0, [...ref].length - n + 1);
    if (hTotal === 0 || rTotal === 0) continue;
    let matched = 0;
    for (const [gram, count] of h) matched += Math.min(count, r.get(gram) ?? 0);
    precision += matched / hTotal;
    recall += matched / rTotal;
    orders += 1;
  }
  if (orders === 0) return hyp === ref ? 1 : 0;
  precision /= orders;
  recall /= orders;
  if (precision === 0 && recall === 0) return 0;
  const b2 = beta * beta;
  return ((1 + b2) * precision * recall) / (b2 * precision + recall);
}

/** Share of word trigrams that repeat an earlier one: a looping answer scores high. */
export function repetition(text: string): number {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length < 3) return 0;
  const seen = new Set<string>();
  let repeated = 0;
  for (let i = 0; i + 3 <= words.length; i++) {
    const gram = words.slice(i, i + 3).join(' ');
    if (seen.has(gram)) repeated += 1;
    else seen.add(gram);
  }
  return repeated / (words.length - 2);
}

/** Whether the answer is JSON: the whole text, or a fenced ```json block in it. */
export function parsesAsJson(text: string): boolean {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  for (const candidate of [text.trim(), fenced?.trim()]) {
    if (!candidate || !/^[[{]/.test(candidate)) continue;
    try {
      JSON.parse(candidate);
      return true;
    } catch {
      // not this one
    }
  }
  return false;
}
