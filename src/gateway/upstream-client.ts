// Upstream connections: one keep-alive undici Pool per origin, reused across requests.
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
      pool = new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** POSTs `body` to `<upstream.url><pathAfterV1>`; the caller consumes or dumps the response body. */
  async post(upstream: Upstream, pathAfterV1: string, body: Buffer | string, requestId: string, signal?: AbortSignal): Promise<UpstreamResponse> {
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
