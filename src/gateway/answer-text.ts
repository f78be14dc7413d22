// Extracts the answer, finish reason and token count from an OpenAI response body, JSON or SSE,
// so a shadow pair holds the full text whichever way the client asked.
export interface AnswerSummary {
  text: string | null;
  finishReason: string | null;
  promptTokens: number | null;
  /** from the usage object; for a stream without one, its content events (one token each) */
  completionTokens: number | null;
}

interface Choice {
  message?: { content?: string | null };
  delta?: { content?: string | null };
  text?: string;
  finish_reason?: string | null;
}
interface Chunk {
  choices?: Choice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

export function summariseAnswer(body: string, isStream: boolean): AnswerSummary {
  const chunks: Chunk[] = [];
  if (isStream) {
    for (const line of body.split('\n')) {
      const data = line.startsWith('data:') ? line.slice(5).trim() : '';
      if (!data || data === '[DONE]') continue;
      try {
        chunks.push(JSON.parse(data) as Chunk);
      } catch {
        // a malformed event is skipped; the rest of the answer still counts
      }
    }
  } else {
    try {
      chunks.push(JSON.parse(body) as Chunk);
    } catch {
      return { text: null, finishReason: null, promptTokens: null, completionTokens: null };
    }
  }
  let text = '';
  let finishReason: string | null = null;
  let promptTokens: number | null = null;
  let completionTokens: number | null = null;
  let contentEvents = 0;
  for (const chunk of chunks) {
    const choice = chunk.choices?.[0];
    const piece = choice?.message?.content ?? choice?.delta?.content ?? choice?.text ?? '';
    text += piece;
    if (piece) contentEvents += 1;
    finishReason = choice?.finish_reason ?? finishReason;
    promptTokens = chunk.usage?.prompt_tokens ?? promptTokens;
    completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
  }
  return { text, finishReason, promptTokens, completionTokens: completionTokens ?? (isStream ? contentEvents : null) };
}

/** The prompt as recorded in a pair: the chat messages' text, or the completion prompt. */
export function promptText(request: { messages?: unknown; prompt?: unknown }): string {
  if (Array.isArray(request.messages)) {
    // Clients send anything; a message that is not an object is recorded as its JSON.
    return request.messages
      .map((m: unknown) => {
        if (typeof m !== 'object' || m === null) return `: ${JSON.stringify(m)}`;
        const { role, content } = m as { role?: unknown; content?: unknown };
        return `${typeof role === 'string' ? role : ''}: ${typeof content === 'string' ? content : JSON.stringify(content)}`;
      })
      .join('\n');
  }
  return typeof request.prompt === 'string' ? request.prompt : JSON.stringify(request.prompt ?? '');
}
