// Eval suites are JSONL: one case a line, {"prompt", "expected", "scorer"?, "id"?, "category"?, "weight"?}.
import { z } from 'zod';
import type { EvalCase } from './qa-gate';

const evalLine = z
  .object({
    id: z.string().optional(),
    prompt: z.string().min(1),
    expected: z.string().min(1),
    scorer: z.enum(['exact', 'contains', 'regex']).default('contains'),
    category: z.string().optional(),
    weight: z.number().positive().default(1),
  })
  .strict();

/** Parses a suite; throws an Error naming the line and field of the first problem. */
export function parseEvalSuite(text: string, source: string): EvalCase[] {
  const cases: EvalCase[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '' || line.trim().startsWith('//')) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new Error(`${source}:${index + 1}: not valid JSON`);
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
  return cases;
}
