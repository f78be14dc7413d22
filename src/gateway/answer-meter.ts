// Watches an upstream answer as it passes through the gateway: when its first chunk arrived and how
// many tokens went in and out, without holding the whole body unless a shadow pair needs its text.
// Token counts come from the answer's `usage` object; a stream without one (OpenAI sends it only
// with stream_options.include_usage) is counted by its content events, one token each, which is
// what llama-server and vLLM send.

export interface TokenUsage {
  promptTokens: number | null;
  completionTokens: number | null;
}

const USAGE = Buffer.from('"usage"');
const CONTENT_MARKERS = [Buffer.from('"content":"'), Buffer.from('"text":"')];
const QUOTE = 0x22;
const TAIL_BYTES = 2048;

const PROMPT_TOKENS = /"prompt_tokens"\s*:\s*(\d+)/;
const COMPLETION_TOKENS = /"completion_tokens"\s*:\s*(\d+)/;

function numberAfter(text: string, field: RegExp): number | null {
  const match = field.exec(text);
  return match ? Number(match[1]) : null;
}

/** The usage object at the end of an answer (JSON or the last SSE events), if any. */
export function usageIn(body: Buffer): TokenUsage {
  const at = body.lastIndexOf(USAGE);
  if (at < 0) return { promptTokens: null, completionTokens: null };
  const text = body.subarray(at, at + 512).toString('utf8');
  return { promptTokens: numberAfter(text, PROMPT_TOKENS), completionTokens: numberAfter(text, COMPLETION_TOKENS) };
}

function countContentEvents(chunk: Buffer): number {
  let count = 0;
  for (const marker of CONTENT_MARKERS) {
    for (let at = chunk.indexOf(marker); at >= 0; at = chunk.indexOf(marker, at + marker.length)) {
      if (chunk[at + marker.length] !== QUOTE) count += 1;
    }
  }
  return count;
}

export class StreamMeter {
  /** performance.now() of the first chunk, if one came */
  firstChunkAt: number | undefined;
  private tail: Buffer = Buffer.alloc(0);
  private contentEvents = 0;
  private readonly copy: Buffer[] | undefined;

  constructor(keepText: boolean) {
    this.copy = keepText ? [] : undefined;
  }

  onChunk(chunk: Buffer): void {
    this.firstChunkAt ??= performance.now();
    this.copy?.push(chunk);
    this.contentEvents += countContentEvents(chunk);
    // The usage object comes in the last event; keep enough of the end to find it across a chunk
    // boundary.
    this.tail = chunk.length >= TAIL_BYTES ? chunk : Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
  }

  usage(): TokenUsage {
    const reported = usageIn(this.tail);
    return { promptTokens: reported.promptTokens, completionTokens: reported.completionTokens ?? this.contentEvents };
  }

  /** the whole streamed body, when it was kept */
  text(): string | null {
    return this.copy ? Buffer.concat(this.copy).toString('utf8') : null;
  }
}
