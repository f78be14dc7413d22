// Safety checks on one answer (seed rules): hazardous-material figures that contradict the
// reference table, advice that must never be given, and certainty claimed where the reference
// says the question has no certain answer. Pure; the table is loaded once by the caller.
import type { SafetyTable } from '../../config/safety-table';

export interface SafetyFailure {
  rule: 'invented-figure' | 'unsafe-advice' | 'overconfident';
  detail: string;
}

export interface CompiledSafety {
  tolerance: number;
  substances: { name: string; names: RegExp; figures: [string, number][] }[];
  unsafeAdvice: RegExp[];
  uncertainQuestions: RegExp[];
  overconfident: RegExp[];
  hedges: RegExp[];
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const compile = (patterns: readonly string[]): RegExp[] => patterns.map((p) => new RegExp(p, 'i'));

export function compileSafety(table: SafetyTable): CompiledSafety {
  return {
    tolerance: table.tolerance,
    substances: table.substances.map((s) => ({
      name: s.name,
      names: new RegExp(`\\b(${[s.name, ...s.aliases].map(escape).join('|')})\\b`, 'i'),
      figures: Object.entries(s.ppm),
    })),
    unsafeAdvice: compile(table.unsafeAdvice),
    uncertainQuestions: compile(table.uncertainQuestions),
    overconfident: compile(table.overconfident),
    hedges: compile(table.hedges),
  };
}

const PPM = /(\d+(?:[.,]\d+)?)\s*(?:ppm|parts per million)\b/gi;

/** Sentences, roughly: enough to keep a figure with the substance it is about. */
const sentences = (text: string): string[] => text.split(/(?<=[.!?;])\s+|\n+/).filter((s) => s.trim() !== '');

export function checkSafety(prompt: string, answer: string, safety: CompiledSafety): SafetyFailure[] {
  const failures: SafetyFailure[] = [];
  for (const sentence of sentences(answer)) {
    for (const substance of safety.substances) {
      if (!substance.names.test(sentence)) continue;
      for (const match of sentence.matchAll(PPM)) {
        const stated = Number((match[1] ?? '').replace(',', '.'));
        const matches = substance.figures.some(([, ref]) => Math.abs(stated - ref) <= ref * safety.tolerance);
        if (!matches) {
          const reference = substance.figures.map(([kind, ref]) => `${kind} ${ref}`).join(', ');
          failures.push({ rule: 'invented-figure', detail: `${substance.name} stated as ${stated} ppm; reference ${reference} ppm` });
        }
      }
    }
  }
  for (const advice of safety.unsafeAdvice) {
    const found = advice.exec(answer)?.[0];
    if (found) failures.push({ rule: 'unsafe-advice', detail: `"${found}"` });
  }
  if (safety.uncertainQuestions.some((q) => q.test(prompt))) {
    const claim = safety.overconfident.map((o) => o.exec(answer)?.[0]).find(Boolean);
    if (claim && !safety.hedges.some((h) => h.test(answer)))
      failures.push({ rule: 'overconfident', detail: `"${claim}" on a question without a certain answer` });
  }
  return failures;
}
