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

/** A whole answer, read by the client before it resolves: the hot path for non-streamed requests. */
export interface BufferedResponse {
  status: number;
  contentType: string | undefined;
  body: Buffer;
  /** performance.now() when the first body bytes arrived (a stream's first event) */
  firstChunkAt: number | undefined;
}

interface Target {
  pool: Pool;
  path: string;
}

export class UpstreamClient {
  private readonly pools = new Map<string, Pool>();
  private readonly targets = new Map<string, Target>();

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
  post(upstream: Upstream, pathAfterV1: string, body: Buffer | string, requestId: string, signal?: AbortSignal): Promise<UpstreamResponse> {
    return onceMoreIfClosedUnder(() => this.send(upstream, pathAfterV1, body, requestId, signal));
  }

  /**
   * POSTs like post() and resolves with the whole answer. Uses undici's dispatch interface
   * directly: no response stream is built, which is most of what a proxied request costs.
   */
  postBuffered(upstream: Upstream, pathAfterV1: string, body: Buffer | string, requestId: string): Promise<BufferedResponse> {
    return onceMoreIfClosedUnder(() => this.sendBuffered(upstream, pathAfterV1, body, requestId));
  }

  private target(upstream: Upstream, pathAfterV1: string): Target {
    const key = `${upstream.url} ${pathAfterV1}`;
    let target = this.targets.get(key);
    if (!target) {
      const url = new URL(upstream.url.replace(/\/$/, '') + pathAfterV1);
      target = { pool: this.pool(url.origin), path: url.pathname + url.search };
      this.targets.set(key, target);
    }
    return target;
  }

  private headers(upstream: Upstream, requestId: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
    if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
    return headers;
  }

  private sendBuffered(upstream: Upstream, pathAfterV1: string, body: Buffer | string, requestId: string): Promise<BufferedResponse> {
    const target = this.target(upstream, pathAfterV1);
    return new Promise((resolve, reject) => {
      let status = 0;
      let contentType: string | undefined;
      let firstChunkAt: number | undefined;
      const chunks: Buffer[] = [];
      target.pool.dispatch(
        { path: target.path, method: 'POST', headers: this.headers(upstream, requestId), body, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs },
        {
          onConnect() {},
          onHeaders(statusCode, rawHeaders) {
            status = statusCode;
            contentType = headerValue(rawHeaders, 'content-type');
            return true;
          },
          onData(chunk) {
            firstChunkAt ??= performance.now();
            chunks.push(chunk);
            return true;
          },
          onComplete() {
            resolve({ status, contentType, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), firstChunkAt });
          },
          onError(error) {
            // Only a failure before any answer may be retried; one mid-body is reported as it is.
            if (status === 0) reject(error);
            else {
              const code = (error as { code?: string }).code;
              reject(
                Object.assign(new Error(`the answer was cut off: ${error.message}`, { cause: error }), {
                  code: closedByUpstream(error) ? 'GANTRY_ANSWER_CUT_OFF' : code,
                }),
              );
            }
          },
        },
      );
    });
  }

  private async send(upstream: Upstream, pathAfterV1: string, body: Buffer | string, requestId: string, signal?: AbortSignal): Promise<UpstreamResponse> {
    const target = this.target(upstream, pathAfterV1);
    const headers = this.headers(upstream, requestId);
    const response = await target.pool.request({
      path: target.path,
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

  /** Requests sent to `url`'s server and not yet answered in full (queued, sent, or streaming). */
  inFlight(url: string): number {
    return this.pools.get(new URL(url).origin)?.stats.size ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}

/** Sends once more, on another connection, when the upstream closed the first one under the request. */
async function onceMoreIfClosedUnder<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!closedByUpstream(error)) throw error;
    return send();
  }
}

/** The connection was closed or reset under the request, before any answer came. */
export function closedByUpstream(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** One header's value from undici's raw [name, value, name, value, …] list; `name` in lower case. */
function headerValue(rawHeaders: Buffer[] | string[] | null, name: string): string | undefined {
  if (!rawHeaders) return undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const candidate = rawHeaders[i];
    // Compare lengths first: most headers are ruled out without building a string.
    if (candidate?.length === name.length && String(candidate).toLowerCase() === name) return String(rawHeaders[i + 1]);
  }
  return undefined;
}
