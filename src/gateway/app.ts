// Builds the gateway: data plane, admin API, health, readiness and Prometheus metrics.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerDataPlane, type RawJsonBody } from './data-plane';
import { registerAdminApi } from './admin-api';
import { openAiError } from './openai-error';
import type { GatewayContext } from './context';

export interface GatewayOptions {
  bodyLimitBytes: number;
  logger: Logger | false;
}

export function buildGateway(ctx: GatewayContext, options: GatewayOptions): FastifyInstance {
  const loggerInstance: FastifyBaseLogger | undefined = options.logger || undefined;
  const app: FastifyInstance = Fastify({
    loggerInstance,
    bodyLimit: options.bodyLimitBytes,
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

  app.setErrorHandler(async (error: Error & { statusCode?: number }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) reply.log.error({ err: error }, 'gateway error');
    await reply
      .code(status)
      .send(openAiError(status === 500 ? 'internal gateway error' : error.message, status === 500 ? 'server_error' : 'invalid_request_error'));
  });
  app.setNotFoundHandler(async (request, reply) => {
    await reply.code(404).send(openAiError(`no such endpoint: ${request.method} ${request.url}`, 'invalid_request_error', 'unknown_url'));
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async () => ({ ready: true, routes: ctx.routes.names().length }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  registerDataPlane(app, ctx);
  registerAdminApi(app, ctx);
  return app;
}
