// A custom metric's condition: `result <op> <number>`, optionally joined by `&&` or `||` (`&&`
// binds tighter), as Argo Rollouts writes them. Parsed once when the spec is loaded (a condition
// that does not parse is a spec error), evaluated without eval.
export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';
interface Term {
  op: Comparison;
  bound: number;
}
/** OR of ANDs of comparisons with the measured value. */
export type Condition = Term[][];

const TERM = /^result\s*(<=|>=|==|!=|<|>)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;

export function parseCondition(text: string): { ok: true; condition: Condition } | { ok: false; error: string } {
  const alternatives = text.split('||').map((part) => part.split('&&').map((term) => term.trim()));
  const condition: Condition = [];
  for (const terms of alternatives) {
    const parsed: Term[] = [];
    for (const term of terms) {
      const match = TERM.exec(term);
      if (!match) return { ok: false, error: `"${term}" is not a comparison like "result <= 2.5"` };
      parsed.push({ op: match[1] as Comparison, bound: Number(match[2]) });
    }
    condition.push(parsed);
  }
  return { ok: true, condition };
}

function holds(term: Term, value: number): boolean {
  switch (term.op) {
    case '<':
      return value < term.bound;
    case '<=':
      return value <= term.bound;
    case '>':
      return value > term.bound;
    case '>=':
      return value >= term.bound;
    case '==':
      return value === term.bound;
    case '!=':
      return value !== term.bound;
  }
}

export function evaluateCondition(condition: Condition, value: number): boolean {
  return condition.some((terms) => terms.every((term) => holds(term, value)));
}
