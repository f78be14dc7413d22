// Upstream connections: one keep-alive undici Pool per origin, reused across requests. A server may
// close an idle keep-alive connection just as a request is sent on it (llama-server was seen doing
// so mid-benchmark); such a request is sent once more, on another connection. Inference has no side
// effects, so the rare duplicate is harmless; a refused connection is not retried.
import { Pool, type Dispatcher } from 'undici';
import type { Upstream } from './route-config';

export interface UpstreamResponse {
  status: number;
  contentType: string | undefined;
  body: Dispatcher.ResponseData['body'];
}

export class UpstreamClient {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly timeoutMs: number) {}

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      // Idle connections are let go after 4 s, before the 5 s most servers (llama-server, uvicorn,
      // Node) close them on their side.
      pool = new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 4_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** POSTs `body` to `<upstream.url><pathAfterV1>`; the caller consumes or dumps the response body. */
  async post(upstream: Upstream, pathAfterV1: string, body: Buffer | string, requestId: string, signal?: AbortSignal): Promise<UpstreamResponse> {
    try {
      return await this.send(upstream, pathAfterV1, body, requestId, signal);
    } catch (error) {
      if (!closedByUpstream(error)) throw error;
      return this.send(upstream, pathAfterV1, body, requestId, signal);
    }
  }

  private async send(upstream: Upstream, pathAfterV1: string, body: Buffer | string, requestId: string, signal?: AbortSignal): Promise<UpstreamResponse> {
    const target = new URL(upstream.url.replace(/\/$/, '') + pathAfterV1);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
    if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
    const response = await this.pool(target.origin).request({
      path: target.pathname + target.search,
      method: 'POST',
      headers,
      body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      signal,
    });
    const contentType = response.headers['content-type'];
    return { status: response.statusCode, contentType: Array.isArray(contentType) ? contentType[0] : contentType, body: response.body };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}

/** The connection was closed or reset under the request, before any answer came. */
export function closedByUpstream(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}
