// Builds the gateway: data plane, admin API, health, readiness and Prometheus metrics.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { registerDataPlane, type RawJsonBody } from './data-plane';
import { isAuthorized, registerAdminApi } from './admin-api';
import { openAiError } from './openai-error';
import type { GatewayContext } from './context';
import { drainRequest } from './drain-request';

export interface GatewayOptions {
  bodyLimitBytes: number;
  logger: Logger | false;
  /** limits before any work: the whole request must arrive within this, an idle connection is closed after that */
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
}

/** Defaults that cut off a slow upload without cutting a long streamed answer (it is never idle that long). */
const REQUEST_TIMEOUT_MS = 30_000;
const IDLE_TIMEOUT_MS = 300_000;

export function buildGateway(ctx: GatewayContext, options: GatewayOptions): FastifyInstance {
  const loggerInstance: FastifyBaseLogger | undefined = options.logger || undefined;
  const app: FastifyInstance = Fastify({
    loggerInstance,
    bodyLimit: options.bodyLimitBytes,
    requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    connectionTimeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    // No line per request, and no child logger built per request either (it showed in profiles).
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
  });

  // Keep the client's exact bytes for the upstream, and the parsed object for routing.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, raw: Buffer, done) => {
    try {
      const parsed: RawJsonBody = { raw, json: JSON.parse(raw.toString('utf8')) as RawJsonBody['json'] };
      done(null, parsed);
    } catch {
      const error = Object.assign(new Error('the request body is not valid JSON'), { statusCode: 400 });
      done(error, undefined);
    }
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) reply.log.error({ err: error }, 'gateway error');
    if (status === 413) {
      // Answered while the client is still sending, a 413 is lost to a connection reset when the
      // socket closes on unread bytes: read the rest (within bounds) first, then close.
      await drainRequest(request.raw);
      reply.header('connection', 'close');
    }
    await reply
      .code(status)
      .send(openAiError(status === 500 ? 'internal gateway error' : error.message, status === 500 ? 'server_error' : 'invalid_request_error'));
  });
  app.setNotFoundHandler(async (request, reply) => {
    await reply.code(404).send(openAiError(`no such endpoint: ${request.method} ${request.url}`, 'invalid_request_error', 'unknown_url'));
  });

  // With client keys required, who calls is known before the body is read: an unknown key costs
  // no JSON parsing of up to the body limit. (The route the key may use is checked once the body
  // names it.)
  app.addHook('preParsing', async (request, reply) => {
    if (ctx.access.mode !== 'required' || request.method !== 'POST' || !request.url.startsWith('/v1/')) return;
    const access = ctx.access.check(request.headers.authorization, undefined, Date.now());
    if (access.allowed) return;
    // A reply sent while the client still uploads is lost to a reset: read the rest (bounded), unparsed.
    await drainRequest(request.raw);
    await reply.header('connection', 'close').code(access.status).send(access.body);
  });

  app.get('/healthz', async () => ({ ok: true }));
  // Ready when every route's stable is known to answer; `?route=` asks about one route. Which routes
  // exist is told only to the admin token's holder: anyone else gets the answer, not the names.
  app.get('/readyz', async (request: FastifyRequest<{ Querystring: { route?: string } }>, reply) => {
    const all = ctx.health.readiness();
    const wanted = request.query.route;
    if (!isAuthorized(request.headers.authorization, ctx.adminToken)) {
      const ready = Object.values(all).every((r) => r.stable === true);
      return reply.code(ready ? 200 : 503).send({ ready });
    }
    if (wanted !== undefined && !(wanted in all)) return reply.code(404).send(openAiError(`no route "${wanted}"`, 'not_found_error', 'route_not_found'));
    const routes = wanted === undefined ? all : { [wanted]: all[wanted] as (typeof all)[string] };
    const ready = Object.values(routes).every((r) => r.stable === true);
    return reply.code(ready ? 200 : 503).send({ ready, routes });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return (await ctx.metrics.registry.metrics()) + ctx.stats.totals.exposition();
  });

  registerDataPlane(app, ctx);
  registerAdminApi(app, ctx);
  return app;
}
