// A pairwise judge behind an OpenAI-compatible endpoint: one call asks for one letter, with the
// letters' probabilities where the server returns them (llama-server's `top_logprobs`, taken
// before the grammar). Deterministic decoding: temperature 0 and a fixed seed.
import { request } from 'undici';
import { JUDGE_GRAMMAR, letterProbabilities, parseJudgeToken, renderJudgePrompt, type JudgeCall } from '../analysis/quality/judge-protocol';

export interface JudgeEndpoint {
  /** OpenAI base URL, ending in /v1 */
  url: string;
  model: string;
  apiKey?: string;
  constrain: 'grammar' | 'none';
  seed: number;
  timeoutMs: number;
}

interface ChatAnswer {
  choices?: {
    message?: { content?: string };
    logprobs?: { content?: { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[] };
  }[];
}

export async function callJudge(judge: JudgeEndpoint, prompt: string, a: string, b: string, order: JudgeCall['order']): Promise<JudgeCall> {
  const body = {
    model: judge.model,
    messages: [{ role: 'user', content: renderJudgePrompt(prompt, a, b) }],
    max_tokens: 1,
    temperature: 0,
    seed: judge.seed,
    logprobs: true,
    top_logprobs: 5,
    ...(judge.constrain === 'grammar' ? { grammar: JUDGE_GRAMMAR } : {}),
  };
  try {
    const response = await request(`${judge.url.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(judge.apiKey ? { authorization: `Bearer ${judge.apiKey}` } : {}) },
      body: JSON.stringify(body),
      headersTimeout: judge.timeoutMs,
      bodyTimeout: judge.timeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode >= 300)
      return { order, token: null, raw: text.slice(0, 300), probabilities: null, error: `the judge answered ${response.statusCode}` };
    const answer = JSON.parse(text) as ChatAnswer;
    const choice = answer.choices?.[0];
    const raw = choice?.message?.content ?? '';
    const top = choice?.logprobs?.content?.[0]?.top_logprobs ?? [];
    return { order, token: parseJudgeToken(raw), raw, probabilities: letterProbabilities(top) };
  } catch (error) {
    return { order, token: null, raw: '', probabilities: null, error: (error as Error).message };
  }
}
