// Mirrors a stable-answered request to the candidate, off the user's path, with bounded
// concurrency: when the candidate cannot keep up the mirror is dropped and counted, never queued.
import type { Upstream } from './route-config';
import type { UpstreamClient } from './upstream-client';
import type { PairSide, PairStore } from './pair-store';
import { summariseAnswer } from './answer-text';
import type { GatewayMetrics } from './metrics';
import type { WindowStatsStore } from './window-stats';

export interface MirrorRequest {
  route: string;
  requestId: string;
  pathAfterV1: string;
  body: Buffer | string;
  isStream: boolean;
  prompt: string;
  candidate: Upstream;
  /** resolves with the stable side once the user's answer has been sent */
  stableSide: Promise<PairSide>;
}

export class ShadowMirror {
  private inFlight = 0;

  constructor(
    private readonly client: UpstreamClient,
    private readonly pairs: PairStore,
    private readonly stats: WindowStatsStore,
    private readonly metrics: GatewayMetrics,
    private readonly maxInFlight: number,
  ) {}

  /**
   * Takes a mirror slot for `route`, or counts a drop when the candidate already has all it may.
   * Asked before the mirror's request is even built, so a saturated candidate costs nothing more.
   */
  reserve(route: string): boolean {
    if (this.inFlight >= this.maxInFlight) {
      this.metrics.shadow.inc([route, 'dropped']);
      this.stats.recordShadowDrop(route);
      return false;
    }
    this.inFlight += 1;
    return true;
  }

  /** Sends a mirror in a slot taken by reserve(); returns at once, the mirror runs in the background. */
  mirror(request: MirrorRequest): void {
    this.metrics.shadow.inc([request.route, 'sent']);
    void this.run(request).finally(() => {
      this.inFlight -= 1;
    });
  }

  private async run(request: MirrorRequest): Promise<void> {
    const started = performance.now();
    let candidate: PairSide;
    try {
      const response = await this.client.postBuffered(request.candidate, request.pathAfterV1, request.body, `${request.requestId}-shadow`);
      const firstChunkAt = response.firstChunkAt;
      const text = response.body.toString('utf8');
      const latencyMs = performance.now() - started;
      const streamed = request.isStream && response.status === 200;
      const summary = summariseAnswer(text, streamed);
      const ok = response.status >= 200 && response.status < 300;
      candidate = {
        status: response.status,
        latencyMs,
        ttftMs: streamed && firstChunkAt !== undefined ? firstChunkAt - started : null,
        answer: ok ? summary.text : null,
        finishReason: summary.finishReason,
        promptTokens: summary.promptTokens,
        completionTokens: summary.completionTokens,
        ...(ok ? {} : { error: text.slice(0, 500) }),
      };
      this.stats.recordRequest(request.route, 'shadow', latencyMs, !ok);
      if (!ok) this.metrics.shadow.inc([request.route, 'failed']);
    } catch (error) {
      const latencyMs = performance.now() - started;
      candidate = { status: 0, latencyMs, ttftMs: null, answer: null, finishReason: null, promptTokens: null, completionTokens: null, error: (error as Error).message };
      this.stats.recordRequest(request.route, 'shadow', latencyMs, true);
      this.metrics.shadow.inc([request.route, 'failed']);
    }
    const stable = await request.stableSide;
    try {
      await this.pairs.append({ requestId: request.requestId, time: new Date().toISOString(), route: request.route, prompt: request.prompt, stable, candidate });
      // Counted only once durable: the evaluation and the operator never see a pair that may be lost.
      this.stats.recordPair(request.route);
      this.metrics.pairs.inc({ route: request.route, outcome: 'written' });
    } catch {
      this.metrics.pairs.inc({ route: request.route, outcome: 'failed' });
    }
  }
}
