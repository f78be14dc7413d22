// The cheap judge of "worse": a reference model (the route's stable) reads the candidate's answer
// and its own answer to the same prompt, and the difference of their mean per-token
// log-likelihoods says whether the candidate's is an answer the reference finds much less likely
// (a reference-model score, in the spirit of BARTScore). No instruction following is needed, so a
// 270M model can do it. Likelihood alone is fooled by an answer that ignores the question: a model
// finds generic, repetitive text likely whatever was asked ("\nA: \nA: \nA:" scored as well as
// the stable's own answers on our traffic). So each answer is also read after an empty question, and
// the pointwise mutual information — how much more likely the question makes the answer — is
// compared too: an answer that owes nothing to the question gains nothing from it. A pair is worse
// when either difference falls below the limit. Pure parts here; the calls to llama-server are in
// adapters/likelihood-client.ts.

/** Chat messages from a pair's recorded prompt ("role: content" lines, as the gateway writes them). */
export function messagesFromRecordedPrompt(prompt: string): { role: string; content: string }[] | null {
  if (prompt.startsWith('sha256:')) return null; // the route kept only a hash: nothing to score with
  const messages: { role: string; content: string }[] = [];
  for (const line of prompt.split('\n')) {
    const role = /^(system|user|assistant|developer|tool): /.exec(line);
    const last = messages.at(-1);
    if (role?.[1]) messages.push({ role: role[1], content: line.slice(role[0].length) });
    else if (last) last.content += `\n${line}`;
    else messages.push({ role: 'user', content: line });
  }
  return messages.length > 0 ? messages : null;
}

/** A GBNF grammar whose only sentence is `text`: llama-server then generates exactly it. */
export function exactTextGrammar(text: string): string {
  let literal = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') literal += '\\"';
    else if (ch === '\\') literal += '\\\\';
    else if (ch === '\n') literal += '\\n';
    else if (ch === '\r') literal += '\\r';
    else if (ch === '\t') literal += '\\t';
    else if (c < 0x20 || c === 0x7f) literal += `\\x${c.toString(16).padStart(2, '0')}`;
    else literal += ch;
  }
  return `root ::= "${literal}"`;
}

/**
 * Mean log-probability per token of a forced answer, from llama-server's `completion_probabilities`.
 * The end-of-generation token the grammar forces last ('' as text) is left out: an answer cut at
 * max_tokens would otherwise be charged for not having ended.
 */
export function meanLogProb(probs: readonly { token: string; logprob: number }[]): number | null {
  let end = probs.length;
  while (end > 0 && probs[end - 1]?.token === '') end--;
  if (end === 0) return null;
  let sum = 0;
  for (let i = 0; i < end; i++) sum += probs[i]?.logprob ?? 0;
  return sum / end;
}

/** Mean log-probabilities per token of both answers, after the question and after an empty one. */
export interface AnswerLogProbs {
  candidate: number;
  stable: number;
  candidateWithoutQuestion: number;
  stableWithoutQuestion: number;
}

/** How a pair fared under the reference. */
export interface LikelihoodOutcome {
  /** candidate mean log-probability per token minus the stable's, after the question; 0 for identical answers */
  delta: number;
  /** the same for what the question adds (log P(answer | question) − log P(answer | no question)) */
  pmi: number;
  /** either below -worseBelow: the reference finds the candidate's answer much less likely, or owing much less to the question */
  worse: boolean;
}

export function likelihoodOutcome(p: AnswerLogProbs, worseBelow: number): LikelihoodOutcome {
  const delta = p.candidate - p.stable;
  const pmi = p.candidate - p.candidateWithoutQuestion - (p.stable - p.stableWithoutQuestion);
  return { delta, pmi, worse: delta < -worseBelow || pmi < -worseBelow };
}

/** The same conversation with the last user message emptied: what the answer is scored against without the question. */
export function withoutQuestion(messages: readonly { role: string; content: string }[]): { role: string; content: string }[] {
  const last = messages.map((m) => m.role).lastIndexOf('user');
  return messages.map((m, i) => (i === last ? { ...m, content: '' } : m));
}
