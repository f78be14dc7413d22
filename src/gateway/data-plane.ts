// The user-facing OpenAI-compatible endpoints: pick a variant, forward, measure, maybe mirror.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { chooseVariant } from './variant-choice';
import { openAiError } from './openai-error';
import { errorClassOf, type ErrorClass } from './metrics';
import { promptText, summariseAnswer } from './answer-text';
import type { PairSide } from './pair-store';
import type { GatewayContext } from './context';
import type { Variant } from './route-config';

interface CompletionBody {
  model?: unknown;
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
  const stickyValue = request.headers[route.stickyHeader.toLowerCase()];
  const variant: Variant = chooseVariant(route, typeof stickyValue === 'string' ? stickyValue : undefined, Math.random);
  const upstream = variant === 'candidate' && route.candidate ? route.candidate : route.stable;
  const requestId = (typeof request.headers['x-request-id'] === 'string' && request.headers['x-request-id']) || randomUUID();
  const isStream = json.stream === true;
  const outgoing = upstream.model ? JSON.stringify({ ...json, model: upstream.model }) : body.raw;

  const shadowing = variant === 'stable' && route.candidate !== undefined && route.shadowRate > 0 && Math.random() < route.shadowRate;
  let resolveStableSide: ((side: PairSide) => void) | undefined;
  if (shadowing && route.candidate) {
    const stableSide = new Promise<PairSide>((resolve) => (resolveStableSide = resolve));
    const candidate = route.candidate;
    ctx.shadow.mirror({
      route: json.model,
      requestId,
      pathAfterV1,
      body: candidate.model ? JSON.stringify({ ...json, model: candidate.model }) : body.raw,
      isStream,
      prompt: promptText(json),
      candidate,
      stableSide,
    });
  }

  const started = performance.now();
  const finish = (status: number, errorClass: ErrorClass, answer: string | null): void => {
    const latencyMs = performance.now() - started;
    const isError = errorClass !== 'none';
    ctx.stats.recordRequest(json.model as string, variant, latencyMs, isError);
    ctx.metrics.requests.inc({ route: json.model as string, variant, error_class: errorClass });
    if (!isError) ctx.metrics.duration.observe({ route: json.model as string, variant }, latencyMs / 1000);
    if (resolveStableSide) {
      const summary = answer === null ? { text: null, finishReason: null, completionTokens: null } : summariseAnswer(answer, isStream);
      resolveStableSide({ status, latencyMs, answer: summary.text, finishReason: summary.finishReason, completionTokens: summary.completionTokens });
    }
  };

  let response;
  try {
    response = await ctx.upstreams.post(upstream, pathAfterV1, outgoing, requestId);
  } catch (error) {
    const timedOut = (error as { code?: string }).code?.includes('TIMEOUT') ?? false;
    finish(timedOut ? 504 : 502, timedOut ? 'timeout' : 'unreachable', null);
    await reply
      .code(timedOut ? 504 : 502)
      .header('x-gantry-variant', variant)
      .send(openAiError(`the ${variant} model server ${timedOut ? 'timed out' : 'is unreachable'}: ${(error as Error).message}`, 'upstream_error', timedOut ? 'upstream_timeout' : 'upstream_unreachable'));
    return;
  }

  reply.code(response.status).header('x-gantry-variant', variant).header('x-request-id', requestId);
  if (response.contentType) reply.header('content-type', response.contentType);
  const errorClass = errorClassOf(response.status);

  if (isStream && response.status === 200) {
    // Pass chunks through as they come; keep a copy only when a pair needs the stable answer.
    const copy: Buffer[] | undefined = resolveStableSide ? [] : undefined;
    response.body.on('data', (chunk: Buffer) => copy?.push(chunk));
    response.body.on('end', () => finish(response.status, errorClass, copy ? Buffer.concat(copy).toString('utf8') : null));
    response.body.on('error', () => finish(502, 'unreachable', null));
    await reply.send(response.body);
    return;
  }
  const answer = Buffer.from(await response.body.arrayBuffer());
  finish(response.status, errorClass, errorClass === 'none' ? answer.toString('utf8') : null);
  await reply.send(answer);
}
