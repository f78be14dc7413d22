// One chat completion against an OpenAI-compatible upstream, for evaluations that ask a variant
// directly (not through the gateway, whose traffic is what the analysis measures).
import { request } from 'undici';
import type { Upstream } from '../gateway/route-config';

export interface CompletionSettings {
  maxTokens: number;
  stop?: string[];
  timeoutMs: number;
}

export async function completeChat(upstream: Upstream, model: string, prompt: string, settings: CompletionSettings): Promise<string> {
  const body = {
    model: upstream.model ?? model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: settings.maxTokens,
    temperature: 0,
    ...(settings.stop ? { stop: settings.stop } : {}),
  };
  const response = await request(`${upstream.url.replace(/\/$/, '')}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(upstream.apiKey ? { authorization: `Bearer ${upstream.apiKey}` } : {}) },
    body: JSON.stringify(body),
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${upstream.url} answered ${response.statusCode}: ${text.slice(0, 200)}`);
  const answer = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
  return answer.choices?.[0]?.message?.content ?? '';
}
