// Asks a llama-server how likely it finds a given answer to a prompt: the prompt is rendered with
// the server's own chat template (/apply-template), then /completion generates exactly the answer
// (a grammar allows nothing else) and returns each token's log-probability under the model before
// sampling (`n_probs`). Engines without these endpoints (vLLM, hosted APIs) answer 404: the pair is
// not scored, and the metric says why.
import { request } from 'undici';
import { exactTextGrammar, meanLogProb } from '../analysis/quality/likelihood';

export interface ReferenceServer {
  /** the server's base URL (its OpenAI API is under /v1) */
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

/** The base URL of an OpenAI-compatible upstream URL such as http://host:port/v1. */
export const serverBaseOf = (openAiUrl: string): string => openAiUrl.replace(/\/+$/, '').replace(/\/v1$/, '');

async function postJson<T>(server: ReferenceServer, path: string, body: object): Promise<T> {
  const response = await request(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(server.apiKey ? { authorization: `Bearer ${server.apiKey}` } : {}) },
    body: JSON.stringify(body),
    headersTimeout: server.timeoutMs,
    bodyTimeout: server.timeoutMs,
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${server.baseUrl}${path} answered ${response.statusCode}: ${text.slice(0, 160)}`);
  return JSON.parse(text) as T;
}

export async function renderPrompt(server: ReferenceServer, messages: { role: string; content: string }[]): Promise<string> {
  const rendered = await postJson<{ prompt?: string }>(server, '/apply-template', { messages });
  if (typeof rendered.prompt !== 'string') throw new Error(`${server.baseUrl}/apply-template gave no prompt`);
  return rendered.prompt;
}

/** Mean log-probability per token of `answer` after `prompt`; null for an empty answer. */
export async function answerLogProb(server: ReferenceServer, prompt: string, answer: string): Promise<number | null> {
  if (answer === '') return null;
  const result = await postJson<{ completion_probabilities?: { token: string; logprob: number }[]; content?: string }>(server, '/completion', {
    prompt,
    grammar: exactTextGrammar(answer),
    // Every token holds at least one byte: this many always reach the end of the answer.
    n_predict: Buffer.byteLength(answer, 'utf8') + 2,
    n_probs: 1,
    temperature: 0,
    cache_prompt: true,
  });
  if (result.content !== answer) throw new Error(`${server.baseUrl} did not reproduce the answer under its grammar`);
  return meanLogProb(result.completion_probabilities ?? []);
}
