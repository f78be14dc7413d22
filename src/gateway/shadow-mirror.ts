// Mirrors a request off the user's path, with bounded concurrency and a bounded queue: a burst
// waits for a slot, but when the mirrored upstream cannot keep up the queue fills and further
// mirrors are dropped and counted, never held without end. A shadow mirror sends a stable-answered
// request to the candidate; a reverse mirror (canary) sends a candidate-answered one to the stable.
// Either way the pair holds both answers to the same prompt.
import { randomUUID } from 'node:crypto';
import type { Upstream } from './route-config';
import type { UpstreamClient } from './upstream-client';
import type { PairDirection, PairSide, PairStore } from './pair-store';
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
  /** shadow: mirrored to the candidate; reverse: mirrored to the stable; aa: a stable answer mirrored to the stable again */
  direction: PairDirection;
  /** where the mirror goes */
  target: Upstream;
  rolloutId: string | null;
  candidateDeploymentId: string | null;
  /** resolves with the side the user got once their answer has been sent */
  liveSide: Promise<PairSide>;
}

export interface ShadowLimits {
  /** mirrors of one route sent to its candidate at once (each holds its slot until its pair is written) */
  maxInFlight: number;
  /** mirrors of one route waiting for a slot; past that they are dropped */
  maxQueued: number;
}

/** One route's mirrors. Kept apart per route so that a hanging candidate starves only its own route. */
interface Lane {
  inFlight: number;
  queue: MirrorRequest[];
}

export class ShadowMirror {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly client: UpstreamClient,
    private readonly pairs: PairStore,
    private readonly stats: WindowStatsStore,
    private readonly metrics: GatewayMetrics,
    private readonly limits: ShadowLimits,
  ) {
    metrics.observeShadowLoad(() => [...this.lanes].map(([route, lane]) => ({ route, inFlight: lane.inFlight, queued: lane.queue.length })));
  }

  private lane(route: string): Lane {
    let lane = this.lanes.get(route);
    if (!lane) {
      lane = { inFlight: 0, queue: [] };
      this.lanes.set(route, lane);
    }
    return lane;
  }

  /**
   * Sends a mirror of `route` when the candidate has a free slot, queues it when the queue has room,
   * and otherwise drops and counts it. `build` is called only when the mirror is kept, so a
   * saturated candidate costs nothing more. Returns at once; the mirror runs in the background.
   * Mirrors to the stable (reverse, aa) take a lane of their own (`laneKey`), so evaluation traffic
   * to the stable is held to the same small concurrency whatever the candidate does.
   */
  mirror(route: string, build: () => MirrorRequest, laneKey: string = route): void {
    const lane = this.lane(laneKey);
    if (lane.inFlight < this.limits.maxInFlight) this.start(lane, build());
    else if (lane.queue.length < this.limits.maxQueued) lane.queue.push(build());
    else {
      this.metrics.shadow.inc([route, 'dropped']);
      this.stats.recordShadowDrop(route);
    }
  }

  private start(lane: Lane, request: MirrorRequest): void {
    lane.inFlight += 1;
    this.metrics.shadow.inc([request.route, 'sent']);
    void this.run(request).finally(() => {
      lane.inFlight -= 1;
      const next = lane.queue.shift();
      if (next) this.start(lane, next);
    });
  }

  private async run(request: MirrorRequest): Promise<void> {
    const started = performance.now();
    let mirrored: PairSide;
    // Only mirrors to the candidate are the shadow series the shadow phase is judged on.
    const shadowSeries = request.direction === 'shadow';
    try {
      const response = await this.client.postBuffered(request.target, request.pathAfterV1, request.body, `${request.requestId}-${request.direction}`);
      const firstChunkAt = response.firstChunkAt;
      const text = response.body.toString('utf8');
      const latencyMs = performance.now() - started;
      const streamed = request.isStream && response.status === 200;
      const summary = summariseAnswer(text, streamed);
      const ok = response.status >= 200 && response.status < 300;
      mirrored = {
        status: response.status,
        latencyMs,
        ttftMs: streamed && firstChunkAt !== undefined ? firstChunkAt - started : null,
        answer: ok ? summary.text : null,
        finishReason: summary.finishReason,
        promptTokens: summary.promptTokens,
        completionTokens: summary.completionTokens,
        ...(ok ? {} : { error: text.slice(0, 500) }),
      };
      const answer = { ttftMs: mirrored.ttftMs, inputTokens: mirrored.promptTokens, outputTokens: mirrored.completionTokens };
      if (shadowSeries) this.stats.recordRequest(request.route, 'shadow', latencyMs, !ok, answer);
      if (!ok) this.metrics.shadow.inc([request.route, 'failed']);
    } catch (error) {
      const latencyMs = performance.now() - started;
      mirrored = {
        status: 0,
        latencyMs,
        ttftMs: null,
        answer: null,
        finishReason: null,
        promptTokens: null,
        completionTokens: null,
        error: (error as Error).message,
      };
      if (shadowSeries) this.stats.recordRequest(request.route, 'shadow', latencyMs, true);
      this.metrics.shadow.inc([request.route, 'failed']);
    }
    const live = await request.liveSide;
    // reverse: the stable was mirrored; shadow and aa: the user's answer was the stable's.
    const [stable, candidate] = request.direction === 'reverse' ? [mirrored, live] : [live, mirrored];
    try {
      await this.pairs.append({
        pairId: randomUUID(),
        requestId: request.requestId,
        time: new Date().toISOString(),
        route: request.route,
        rolloutId: request.rolloutId,
        candidateDeploymentId: request.candidateDeploymentId,
        direction: request.direction,
        prompt: request.prompt,
        stable,
        candidate,
      });
      // Counted only once durable: the evaluation and the operator never see a pair that may be lost.
      this.stats.recordPair(request.route);
      this.metrics.pairs.inc({ route: request.route, outcome: 'written' });
    } catch {
      this.metrics.pairs.inc({ route: request.route, outcome: 'failed' });
    }
  }
}
