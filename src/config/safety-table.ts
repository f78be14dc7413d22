// The safety reference a quality metric of kind "safety" checks answers against (an example ships
// as configs/safety/hazmat-reference.yaml). Parsed and checked once; a bad one is named by field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GantryError } from '../errors';
import { describeIssues } from './spec-errors';

const pattern = z.string().refine((p) => {
  try {
    new RegExp(p, 'i');
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

export const safetyTableSchema = z
  .object({
    tolerance: z.number().min(0).max(1).default(0.1),
    substances: z
      .array(
        z
          .object({
            name: z.string().min(1),
            aliases: z.array(z.string().min(1)).default([]),
            ppm: z.record(z.string(), z.number().positive()).refine((v) => Object.keys(v).length > 0, 'at least one reference figure'),
          })
          .strict(),
      )
      .default([]),
    unsafeAdvice: z.array(pattern).default([]),
    uncertainQuestions: z.array(pattern).default([]),
    overconfident: z.array(pattern).default([]),
    hedges: z.array(pattern).default([]),
  })
  .strict();
export type SafetyTable = z.output<typeof safetyTableSchema>;

export function parseSafetyTable(text: string, source: string): SafetyTable {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new GantryError('INVALID_SPEC', `${source}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = safetyTableSchema.safeParse(raw);
  if (!parsed.success) throw new GantryError('INVALID_SPEC', `${source}: ${describeIssues(safetyTableSchema, parsed.error.issues)}`);
  return parsed.data;
}

export function loadSafetyTable(file: string): SafetyTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new GantryError('INVALID_SPEC', `${file}: cannot read the safety table`);
  }
  return parseSafetyTable(text, file);
}
