// Eval suites are JSONL: one case a line, {"prompt", "expected", "scorer"?, "id"?, "category"?,
// "weight"?}. A first line {"categoryWeights": {...}} weighs the categories in the suite's 0–100
// score (compatibility 25, performance 30, …; benchmark weights such as HumanEval 1.0, MBPP 0.8
// the same way). Scorer `refusal` passes when the model declines: security cases (prompt injection,
// unsafe requests) expect it.
import { z } from 'zod';

const evalLine = z
  .object({
    id: z.string().optional(),
    prompt: z.string().min(1),
    expected: z.string().default(''),
    scorer: z.enum(['exact', 'contains', 'regex', 'refusal']).default('contains'),
    category: z.string().optional(),
    weight: z.number().positive().default(1),
  })
  .strict()
  .refine((c) => c.scorer === 'refusal' || c.expected !== '', { message: 'required unless the scorer is refusal', path: ['expected'] });

const headerLine = z
  .object({
    categoryWeights: z
      .record(z.string(), z.number().nonnegative())
      .refine((w) => Object.values(w).reduce((a, b) => a + b, 0) > 0, 'the weights must not all be 0'),
  })
  .strict();

export type Scorer = 'exact' | 'contains' | 'regex' | 'refusal';

export interface EvalCase {
  id: string;
  prompt: string;
  expected: string;
  scorer: Scorer;
  category?: string;
  weight: number;
}

export interface EvalSuite {
  cases: EvalCase[];
  /** category → weight in the score; null: every case counts by its own weight */
  categoryWeights: Record<string, number> | null;
}

/** Parses a suite; throws an Error naming the line and field of the first problem. */
export function parseSuite(text: string, source: string): EvalSuite {
  const cases: EvalCase[] = [];
  let categoryWeights: Record<string, number> | null = null;
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '' || line.trim().startsWith('//')) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new Error(`${source}:${index + 1}: not valid JSON`);
    }
    if (raw !== null && typeof raw === 'object' && 'categoryWeights' in raw) {
      if (cases.length > 0 || categoryWeights !== null) throw new Error(`${source}:${index + 1}: categoryWeights belongs on the first line`);
      const header = headerLine.safeParse(raw);
      if (!header.success)
        throw new Error(
          `${source}:${index + 1}: ${header.error.issues[0]?.path.join('.') || 'categoryWeights'}: ${header.error.issues[0]?.message ?? 'invalid'}`,
        );
      categoryWeights = header.data.categoryWeights;
      return;
    }
    const parsed = evalLine.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${source}:${index + 1}: ${issue?.path.join('.') || '(line)'}: ${issue?.message ?? 'invalid'}`);
    }
    if (parsed.data.scorer === 'regex') {
      try {
        new RegExp(parsed.data.expected);
      } catch {
        throw new Error(`${source}:${index + 1}: expected: not a valid regular expression`);
      }
    }
    cases.push({ ...parsed.data, id: parsed.data.id ?? `case-${index + 1}` });
  });
  if (cases.length === 0) throw new Error(`${source}: the suite has no cases`);
  if (categoryWeights) {
    const weights: Record<string, number> = categoryWeights;
    const missing = [...new Set(cases.map((c) => c.category ?? '(none)'))].filter((c) => weights[c] === undefined);
    if (missing.length) throw new Error(`${source}: categoryWeights: no weight for categor${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')}`);
  }
  return { cases, categoryWeights };
}

/** The cases of a suite (its weights, if any, are for the score). */
export function parseEvalSuite(text: string, source: string): EvalCase[] {
  return parseSuite(text, source).cases;
}
