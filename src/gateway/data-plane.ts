// The user-facing OpenAI-compatible endpoints: pick a variant, forward, measure, maybe mirror.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { chooseVariant } from './variant-choice';
import { inCanarySegment } from './segments';
import { recordPrompt } from './prompt-privacy';
import { openAiError } from './openai-error';
import { errorClassOf, type ErrorClass } from './metrics';
import { promptText, summariseAnswer } from './answer-text';
import { StreamMeter, usageIn, type TokenUsage } from './answer-meter';
import type { PairDirection, PairSide } from './pair-store';
import type { GatewayContext } from './context';
import type { Upstream, Variant } from './route-config';
import type { BufferedResponse, UpstreamResponse } from './upstream-client';

interface CompletionBody {
  model?: unknown;
  metadata?: unknown;
  stream?: unknown;
  messages?: unknown;
  prompt?: unknown;
}

/** The raw request bytes are kept so the upstream gets exactly what the client sent. */
export interface RawJsonBody {
  raw: Buffer;
  json: CompletionBody;
}

export function registerDataPlane(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/v1/models', async (request, reply) => {
    const access = ctx.access.check(request.headers.authorization, undefined, Date.now());
    if (!access.allowed) return reply.code(access.status).send(access.body);
    const allowed = access.key?.routes;
    return {
      object: 'list',
      data: ctx.routes
        .names()
        .filter((id) => !allowed || allowed.includes(id))
        .map((id) => ({ id, object: 'model', created: 0, owned_by: 'gantry' })),
    };
  });

  for (const pathAfterV1 of ['/chat/completions', '/completions']) {
    app.post(`/v1${pathAfterV1}`, (request, reply) => proxyCompletion(ctx, pathAfterV1, request, reply));
  }
}

async function proxyCompletion(ctx: GatewayContext, pathAfterV1: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = request.body as RawJsonBody | undefined;
  const json = body?.json;
  // Who asks comes before what they ask for: without a key, not even a route's existence is told.
  const asked = typeof json?.model === 'string' ? json.model : undefined;
  const access = ctx.access.check(request.headers.authorization, asked, Date.now());
  if (!access.allowed) {
    if (access.retryAfterSeconds !== undefined) void reply.header('retry-after', String(access.retryAfterSeconds));
    await reply.code(access.status).send(access.body);
    return;
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    await reply.code(400).send(openAiError('the request body must be a JSON object', 'invalid_request_error'));
    return;
  }
  if (typeof json.model !== 'string') {
    await reply.code(400).send(openAiError('"model" is required and must be a string', 'invalid_request_error', 'missing_model'));
    return;
  }
  const route = ctx.routes.get(json.model);
  if (!route) {
    await reply.code(404).send(openAiError(`the model "${json.model}" does not exist on this gateway`, 'invalid_request_error', 'model_not_found'));
    return;
  }
  const routeName = json.model;
  const stickyValue = request.headers[route.stickyHeader.toLowerCase()];
  // An open breaker keeps live traffic off the candidate until the workflow acts.
  const canaryable =
    !ctx.breakers.isOpen(routeName, route) && inCanarySegment(route.segments, { headers: request.headers, metadata: json.metadata, model: routeName });
  const chosen: Variant = canaryable ? chooseVariant(route, typeof stickyValue === 'string' ? stickyValue : undefined, Math.random) : 'stable';
  const requestId = (typeof request.headers['x-request-id'] === 'string' && request.headers['x-request-id']) || randomUUID();
  const isStream = json.stream === true;
  const bodyFor = (variant: Variant): Buffer | string => {
    const model = (variant === 'candidate' ? route.candidate : route.stable)?.model;
    return model ? JSON.stringify({ ...json, model }) : body.raw;
  };

  // A pair needs the answer the user gets (the live side) and another answer to the same request,
  // mirrored off the user's path: the candidate's in the shadow phase, the stable's in the canary
  // (reverse), and, for a share of stable-answered requests, the stable's own second answer (aa: the
  // noise floor). One request can feed a shadow pair and an A/A pair at once.
  const liveWaiters: ((side: PairSide) => void)[] = [];
  const candidate = route.candidate;
  const liveVariant: Variant = chosen;
  if (candidate) {
    const mirrorAs = (direction: PairDirection): void => {
      const target = direction === 'shadow' ? candidate : route.stable;
      // Built only when the mirrored upstream has room for it: a saturated one costs a drop count.
      // Mirrors to the stable share a lane of their own, apart from the candidate's.
      ctx.shadow.mirror(
        routeName,
        () => ({
          route: routeName,
          requestId,
          pathAfterV1,
          body: bodyFor(direction === 'shadow' ? 'candidate' : 'stable'),
          isStream,
          prompt: recordPrompt(promptText(json), route.pairPrompt),
          direction,
          target,
          rolloutId: route.rolloutId ?? null,
          candidateDeploymentId: candidate.deployment?.id ?? null,
          liveSide: new Promise<PairSide>((resolve) => liveWaiters.push(resolve)),
        }),
        direction === 'shadow' ? routeName : `${routeName}\u0000stable`,
      );
    };
    if (chosen === 'stable') {
      if (route.shadowRate > 0 && Math.random() < route.shadowRate) mirrorAs('shadow');
      if (route.aaRate > 0 && Math.random() < route.aaRate) mirrorAs('aa');
    } else if (route.reverseShadowRate > 0 && Math.random() < route.reverseShadowRate) mirrorAs('reverse');
  }

  /**
   * Measures an answer (or a failure) and hands a waiting mirror its live side. `counted: false` is
   * a candidate's refusal that the stable confirmed as the client's error: not held against it.
   */
  const finish = (variant: Variant, startedAt: number, outcome: AnswerOutcome, endedAt = performance.now(), counted = true): void => {
    const latencyMs = endedAt - startedAt;
    const clientLeft = outcome.errorClass === 'client_closed' || !counted;
    const isError = outcome.errorClass !== 'none' && !clientLeft;
    const labels = { route: routeName, variant };
    const answer = { ttftMs: outcome.ttftMs, inputTokens: outcome.usage.promptTokens, outputTokens: outcome.usage.completionTokens };
    if (!clientLeft) ctx.stats.recordRequest(routeName, variant, latencyMs, isError, answer);
    if (counted) ctx.metrics.requests.inc([routeName, variant, outcome.errorClass]);
    if (outcome.errorClass === 'none') {
      ctx.metrics.duration.observe(labels, latencyMs / 1000);
      if (outcome.ttftMs !== null) ctx.metrics.timeToFirstToken.observe(labels, outcome.ttftMs / 1000);
      if (outcome.usage.promptTokens) ctx.metrics.tokens.inc([routeName, variant, 'input'], outcome.usage.promptTokens);
      if (outcome.usage.completionTokens) ctx.metrics.tokens.inc([routeName, variant, 'output'], outcome.usage.completionTokens);
    }
    if (variant === 'candidate' && !clientLeft) ctx.breakers.record(routeName, route, isError);
    if (liveWaiters.length > 0 && variant === liveVariant) {
      const summary = outcome.answer === null ? undefined : summariseAnswer(outcome.answer, isStream);
      // Handed once: a candidate that failed and fell back to stable has its failure as the live side.
      const waiters = liveWaiters.splice(0);
      const side: PairSide = {
        status: outcome.status,
        latencyMs,
        ttftMs: outcome.ttftMs,
        answer: summary?.text ?? null,
        finishReason: summary?.finishReason ?? null,
        promptTokens: summary?.promptTokens ?? outcome.usage.promptTokens,
        completionTokens: summary?.completionTokens ?? outcome.usage.completionTokens,
      };
      for (const resolve of waiters) resolve(side);
    }
  };
  const keepsLiveText = (variant: Variant): boolean => liveWaiters.length > 0 && variant === liveVariant;

  let variant = chosen;
  let startedAt = performance.now();
  let attempt = await callUpstream(
    ctx,
    variant === 'candidate' && route.candidate ? route.candidate : route.stable,
    pathAfterV1,
    bodyFor(variant),
    requestId,
    isStream,
  );
  let fellBack: 'candidate-failed' | 'client-error' | null = null;
  // A failed canary request is answered by stable when the route allows it, and counts against the
  // candidate. A 5xx, a timeout or no answer is the candidate's failure; so is a 4xx the stable does
  // not give for the same request (a context window too small, a parameter it rejects). Only when
  // the stable refuses it too is it the client's error: the user gets the stable's 4xx, and the
  // candidate is not blamed.
  if (variant === 'candidate' && route.fallbackToStable && (attempt.kind === 'failed' || attempt.response.status >= 400)) {
    const candidateStartedAt = startedAt;
    const candidateEndedAt = performance.now();
    const candidateOutcome =
      attempt.kind === 'failed'
        ? failedOutcome(attempt.status, attempt.errorClass)
        : failedOutcome(attempt.response.status, errorClassOf(attempt.response.status));
    if (attempt.kind === 'streaming') await attempt.response.body.dump();
    const refused = candidateOutcome.errorClass === 'client_error';
    if (!refused) finish('candidate', candidateStartedAt, candidateOutcome, candidateEndedAt);
    variant = 'stable';
    startedAt = performance.now();
    attempt = await callUpstream(ctx, route.stable, pathAfterV1, bodyFor('stable'), requestId, isStream);
    const stableRefusedToo = attempt.kind !== 'failed' && errorClassOf(attempt.response.status) === 'client_error';
    if (refused) finish('candidate', candidateStartedAt, candidateOutcome, candidateEndedAt, !stableRefusedToo);
    fellBack = refused && stableRefusedToo ? 'client-error' : 'candidate-failed';
    if (fellBack === 'candidate-failed') ctx.metrics.fallbacks.inc({ route: routeName });
  }
  reply.header('x-gantry-variant', variant).header('x-request-id', requestId);
  if (fellBack) reply.header('x-gantry-fallback', fellBack);

  if (attempt.kind === 'failed') {
    finish(variant, startedAt, failedOutcome(attempt.status, attempt.errorClass));
    // The client learns what failed, not where: the upstream's address and the transport's words go to the log.
    request.log.warn({ route: routeName, variant, requestId, upstream: attempt.message }, 'upstream request failed');
    await reply
      .code(attempt.status)
      .send(
        openAiError(
          `the ${variant} model server ${attempt.errorClass === 'timeout' ? 'timed out' : 'is unreachable'}`,
          'upstream_error',
          `upstream_${attempt.errorClass}`,
        ),
      );
    return;
  }
  const answered = variant;
  const answeredAt = startedAt;
  reply.code(attempt.response.status);
  if (attempt.response.contentType) reply.header('content-type', attempt.response.contentType);
  const errorClass = errorClassOf(attempt.response.status);

  if (attempt.kind === 'streaming' && attempt.response.status === 200) {
    const response = attempt.response;
    // Pass chunks through as they come; the meter keeps a copy only when a pair needs the answer.
    const meter = new StreamMeter(keepsLiveText(answered));
    response.body.on('data', (chunk: Buffer) => meter.onChunk(chunk));
    let settled = false;
    const settle = (outcome: AnswerOutcome): void => {
      if (settled) return;
      settled = true;
      finish(answered, answeredAt, outcome);
    };
    response.body.on('end', () =>
      settle({
        status: response.status,
        errorClass,
        ttftMs: meter.firstChunkAt === undefined ? null : meter.firstChunkAt - answeredAt,
        usage: meter.usage(),
        answer: meter.text(),
      }),
    );
    // A client that goes away mid-answer has its response destroyed first; the upstream stream is
    // then aborted with an error of its own, which is no fault of the model. Settling also hands a
    // waiting shadow mirror its stable side, freeing its slot.
    const clientClosed = failedOutcome(499, 'client_closed');
    response.body.on('error', () => settle(reply.raw.destroyed ? clientClosed : failedOutcome(502, 'unreachable')));
    response.body.on('close', () => settle(clientClosed));
    await reply.send(response.body);
    return;
  }
  const answer = attempt.kind === 'buffered' ? attempt.response.body : Buffer.from(await attempt.response.body.arrayBuffer());
  const ok = errorClass === 'none';
  finish(answered, answeredAt, {
    status: attempt.response.status,
    errorClass,
    ttftMs: null,
    usage: ok ? usageIn(answer) : NO_USAGE,
    answer: ok && keepsLiveText(answered) ? answer.toString('utf8') : null,
  });
  await reply.send(answer);
}

interface AnswerOutcome {
  status: number;
  errorClass: ErrorClass;
  /** time to the first streamed chunk; null when the answer was not streamed */
  ttftMs: number | null;
  usage: TokenUsage;
  /** the answer's text, kept only when a shadow pair needs the stable side */
  answer: string | null;
}

const NO_USAGE: TokenUsage = { promptTokens: null, completionTokens: null };

function failedOutcome(status: number, errorClass: ErrorClass): AnswerOutcome {
  return { status, errorClass, ttftMs: null, usage: NO_USAGE, answer: null };
}

/** A streamed request's answer comes as a stream to pass on; any other is read whole first. */
type Attempt =
  | { kind: 'streaming'; response: UpstreamResponse }
  | { kind: 'buffered'; response: BufferedResponse }
  | { kind: 'failed'; status: 502 | 504; errorClass: 'unreachable' | 'timeout'; message: string };

async function callUpstream(
  ctx: GatewayContext,
  upstream: Upstream,
  pathAfterV1: string,
  body: Buffer | string,
  requestId: string,
  isStream: boolean,
): Promise<Attempt> {
  try {
    if (isStream) return { kind: 'streaming', response: await ctx.upstreams.post(upstream, pathAfterV1, body, requestId) };
    return { kind: 'buffered', response: await ctx.upstreams.postBuffered(upstream, pathAfterV1, body, requestId) };
  } catch (error) {
    const timedOut = (error as { code?: string }).code?.includes('TIMEOUT') ?? false;
    return { kind: 'failed', status: timedOut ? 504 : 502, errorClass: timedOut ? 'timeout' : 'unreachable', message: (error as Error).message };
  }
}
