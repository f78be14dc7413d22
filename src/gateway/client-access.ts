// Who may use the data plane: with client keys required, a request needs a live key (401), the key
// must allow the route (403), and its token bucket must hold a token (429 with retry-after). The
// answers are OpenAI-style, so clients' own handling of these codes keeps working.
import type { ClientKeyRecord, ClientKeyStore } from './client-keys';
import { openAiError } from './openai-error';
import { TokenBucket } from './token-bucket';

export type ClientKeysMode = 'off' | 'required';

export type AccessAnswer =
  | { allowed: true; key: ClientKeyRecord | null }
  | { allowed: false; status: 401 | 403 | 429; body: ReturnType<typeof openAiError>; retryAfterSeconds?: number };

export class ClientAccess {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly mode: ClientKeysMode,
    readonly keys: ClientKeyStore,
  ) {}

  /** The key a request carries, or the 401 to answer; `route` is checked when given. */
  check(authorization: string | undefined, route: string | undefined, now: number): AccessAnswer {
    if (this.mode === 'off') return { allowed: true, key: null };
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
    const key = token ? this.keys.find(token) : undefined;
    if (!key) {
      const message = token ? 'the API key is not valid (unknown or revoked)' : 'an API key is required: send it as "Authorization: Bearer <key>"';
      return { allowed: false, status: 401, body: openAiError(message, 'invalid_request_error', 'invalid_api_key') };
    }
    if (route !== undefined && key.routes !== null && !key.routes.includes(route)) {
      return { allowed: false, status: 403, body: openAiError(`this API key may not use the model "${route}"`, 'invalid_request_error', 'model_not_allowed') };
    }
    if (route !== undefined && key.ratePerMinute !== null) {
      let bucket = this.buckets.get(key.id);
      if (!bucket) this.buckets.set(key.id, (bucket = new TokenBucket(key.ratePerMinute, key.burst ?? 1, now)));
      const taken = bucket.take(now);
      if (!taken.allowed) {
        const retryAfterSeconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
        return {
          allowed: false,
          status: 429,
          retryAfterSeconds,
          body: openAiError(
            `rate limit of ${key.ratePerMinute} requests per minute reached for this API key; try again in ${retryAfterSeconds}s`,
            'requests',
            'rate_limit_exceeded',
          ),
        };
      }
    }
    return { allowed: true, key };
  }

  /** A revoked key's bucket goes with it. */
  forget(id: string): void {
    this.buckets.delete(id);
  }
}
