// Refusals: an answer that declines instead of answering. RAGAS calls them "noncommittal"; a
// candidate that refuses where the stable answered is worse, whatever else it says.

/** Case-insensitive patterns; a spec may replace them (`quality.refusalPatterns`). */
export const DEFAULT_REFUSAL_PATTERNS: readonly string[] = [
  "\\bI(?:'m| am) (?:sorry|afraid)\\b.{0,40}\\b(?:can(?:no|')t|unable|not able)\\b",
  "\\bI (?:can(?:no|')t|cannot|won't|will not) (?:help|assist|answer|provide|do that|comply)",
  '\\b(?:as an AI|as a language model)\\b',
  "\\bI(?:'m| am) (?:unable|not able) to\\b",
  "\\bI (?:don't|do not) (?:have|know) (?:enough )?(?:information|the answer)\\b",
];

export function compileRefusalPatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((pattern) => new RegExp(pattern, 'i'));
}

export function isRefusal(answer: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((pattern) => pattern.test(answer));
}
