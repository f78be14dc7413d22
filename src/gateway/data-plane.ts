// The user-facing OpenAI-compatible endpoints: pick a variant, forward, measure, maybe mirror.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { chooseVariant } from './variant-choice';
import { inCanarySegment } from './segments';
import { recordPrompt } from './prompt-privacy';
import { openAiError } from './openai-error';
import { errorClassOf, type ErrorClass } from './metrics';
import { promptText, summariseAnswer } from './answer-text';
import type { PairSide } from './pair-store';
import type { GatewayContext } from './context';
import type { Upstream, Variant } from './route-config';
import type { UpstreamResponse } from './upstream-client';

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
  app.get('/v1/models', async () => ({
    object: 'list',
    data: ctx.routes.names().map((id) => ({ id, object: 'model', created: 0, owned_by: 'gantry' })),
  }));

  for (const pathAfterV1 of ['/chat/completions', '/completions']) {
    app.post(`/v1${pathAfterV1}`, (request, reply) => proxyCompletion(ctx, pathAfterV1, request, reply));
  }
}

async function proxyCompletion(ctx: GatewayContext, pathAfterV1: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = request.body as RawJsonBody | undefined;
  const json = body?.json;
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
  const canaryable = !ctx.breakers.isOpen(routeName, route) && inCanarySegment(route.segments, { headers: request.headers, metadata: json.metadata, model: routeName });
  const chosen: Variant = canaryable ? chooseVariant(route, typeof stickyValue === 'string' ? stickyValue : undefined, Math.random) : 'stable';
  const requestId = (typeof request.headers['x-request-id'] === 'string' && request.headers['x-request-id']) || randomUUID();
  const isStream = json.stream === true;
  const bodyFor = (variant: Variant): Buffer | string => {
    const model = (variant === 'candidate' ? route.candidate : route.stable)?.model;
    return model ? JSON.stringify({ ...json, model }) : body.raw;
  };

  const shadowing = chosen === 'stable' && route.candidate !== undefined && route.shadowRate > 0 && Math.random() < route.shadowRate;
  let resolveStableSide: ((side: PairSide) => void) | undefined;
  if (shadowing && route.candidate) {
    const stableSide = new Promise<PairSide>((resolve) => (resolveStableSide = resolve));
    const candidate = route.candidate;
    ctx.shadow.mirror({
      route: json.model,
      requestId,
      pathAfterV1,
      body: bodyFor('candidate'),
      isStream,
      prompt: recordPrompt(promptText(json), route.pairPrompt),
      candidate,
      stableSide,
    });
  }

  const finish = (variant: Variant, startedAt: number, status: number, errorClass: ErrorClass, answer: string | null): void => {
    const latencyMs = performance.now() - startedAt;
    const isError = errorClass !== 'none';
    ctx.stats.recordRequest(routeName, variant, latencyMs, isError);
    ctx.metrics.requests.inc({ route: routeName, variant, error_class: errorClass });
    if (!isError) ctx.metrics.duration.observe({ route: routeName, variant }, latencyMs / 1000);
    if (variant === 'candidate') ctx.breakers.record(routeName, route, isError);
    if (resolveStableSide && variant === 'stable') {
      const summary = answer === null ? { text: null, finishReason: null, completionTokens: null } : summariseAnswer(answer, isStream);
      resolveStableSide({ status, latencyMs, answer: summary.text, finishReason: summary.finishReason, completionTokens: summary.completionTokens });
    }
  };

  let variant = chosen;
  let startedAt = performance.now();
  let attempt = await callUpstream(ctx, variant === 'candidate' && route.candidate ? route.candidate : route.stable, pathAfterV1, bodyFor(variant), requestId);
  let fellBack = false;
  // A failed canary request is answered by stable when the route allows it; it still counts
  // against the candidate.
  if (variant === 'candidate' && route.fallbackToStable && (attempt.kind === 'failed' || attempt.response.status >= 500)) {
    if (attempt.kind === 'failed') finish('candidate', startedAt, attempt.status, attempt.errorClass, null);
    else {
      await attempt.response.body.dump();
      finish('candidate', startedAt, attempt.response.status, errorClassOf(attempt.response.status), null);
    }
    ctx.metrics.fallbacks.inc({ route: routeName });
    variant = 'stable';
    fellBack = true;
    startedAt = performance.now();
    attempt = await callUpstream(ctx, route.stable, pathAfterV1, bodyFor('stable'), requestId);
  }
  reply.header('x-gantry-variant', variant).header('x-request-id', requestId);
  if (fellBack) reply.header('x-gantry-fallback', 'candidate-failed');

  if (attempt.kind === 'failed') {
    finish(variant, startedAt, attempt.status, attempt.errorClass, null);
    await reply.code(attempt.status).send(openAiError(`the ${variant} model server ${attempt.errorClass === 'timeout' ? 'timed out' : 'is unreachable'}: ${attempt.message}`, 'upstream_error', `upstream_${attempt.errorClass}`));
    return;
  }
  const response = attempt.response;
  const answered = variant;
  const answeredAt = startedAt;
  reply.code(response.status);
  if (response.contentType) reply.header('content-type', response.contentType);
  const errorClass = errorClassOf(response.status);

  if (isStream && response.status === 200) {
    // Pass chunks through as they come; keep a copy only when a pair needs the stable answer.
    const copy: Buffer[] | undefined = resolveStableSide && answered === 'stable' ? [] : undefined;
    response.body.on('data', (chunk: Buffer) => copy?.push(chunk));
    response.body.on('end', () => finish(answered, answeredAt, response.status, errorClass, copy ? Buffer.concat(copy).toString('utf8') : null));
    response.body.on('error', () => finish(answered, answeredAt, 502, 'unreachable', null));
    await reply.send(response.body);
    return;
  }
  const answer = Buffer.from(await response.body.arrayBuffer());
  finish(answered, answeredAt, response.status, errorClass, errorClass === 'none' ? answer.toString('utf8') : null);
  await reply.send(answer);
}

type Attempt = { kind: 'answered'; response: UpstreamResponse } | { kind: 'failed'; status: 502 | 504; errorClass: 'unreachable' | 'timeout'; message: string };

async function callUpstream(ctx: GatewayContext, upstream: Upstream, pathAfterV1: string, body: Buffer | string, requestId: string): Promise<Attempt> {
  try {
    return { kind: 'answered', response: await ctx.upstreams.post(upstream, pathAfterV1, body, requestId) };
  } catch (error) {
    const timedOut = (error as { code?: string }).code?.includes('TIMEOUT') ?? false;
    return { kind: 'failed', status: timedOut ? 504 : 502, errorClass: timedOut ? 'timeout' : 'unreachable', message: (error as Error).message };
  }
}
