// A token bucket: `burst` requests at once, refilled at `perMinute`. Pure: the caller passes the
// clock, so the refill arithmetic is tested without waiting.
export type BucketAnswer = { allowed: true } | { allowed: false; retryAfterMs: number };

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  take(now: number): BucketAnswer {
    const refillPerMs = this.perMinute / 60_000;
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, now - this.updatedAt) * refillPerMs);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - this.tokens) / refillPerMs) };
  }
}
