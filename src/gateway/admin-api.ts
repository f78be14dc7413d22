// The admin API through which activities (and operators) set routes and read window statistics.
// Every call needs the bearer token, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { routeConfigSchema, type RouteConfig } from './route-config';
import type { GatewayContext } from './context';
import { openAiError } from './openai-error';
import { closedBreaker } from './circuit-breaker';
import type { RawJsonBody } from './data-plane';
import { newKeySchema, viewOf } from './client-keys';
import { stableChange } from './stable-history';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export function isAuthorized(header: string | undefined, token: string): boolean {
  const presented = header?.startsWith('Bearer ') ? header.slice(7) : '';
  return timingSafeEqual(digest(presented), digest(token));
}

export function registerAdminApi(app: FastifyInstance, ctx: GatewayContext): void {
  const expected = ctx.adminToken;
  app.register(async (admin) => {
    admin.addHook('onRequest', async (request, reply) => {
      if (!isAuthorized(request.headers.authorization, expected)) {
        await reply.code(401).send(openAiError('a valid admin bearer token is required', 'authentication_error', 'unauthorized'));
      }
    });

    admin.get('/admin/routes', async () => ctx.routes.all());

    admin.get('/admin/routes/:route', async (request: FastifyRequest<{ Params: { route: string } }>, reply) => {
      const route = ctx.routes.get(request.params.route);
      if (!route) return reply.code(404).send(openAiError(`no route "${request.params.route}"`, 'not_found_error', 'route_not_found'));
      return route;
    });

    admin.put('/admin/routes/:route', async (request: FastifyRequest<{ Params: { route: string } }>, reply) => {
      const parsed = routeConfigSchema.safeParse((request.body as RawJsonBody | undefined)?.json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply
          .code(400)
          .send(openAiError(`invalid route: ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`, 'invalid_request_error'));
      }
      const config: RouteConfig = parsed.data;
      const change = stableChange(ctx.routes.get(request.params.route), config, new Date());
      ctx.routes.set(request.params.route, config);
      if (change) ctx.stableHistory.record(request.params.route, change);
      ctx.metrics.weight.set({ route: request.params.route }, config.weight);
      ctx.metrics.shadowRate.set({ route: request.params.route }, config.shadowRate);
      ctx.metrics.breakerOpen.set({ route: request.params.route }, ctx.breakers.isOpen(request.params.route, config) ? 1 : 0);
      request.log.info({ route: request.params.route, weight: config.weight, shadowRate: config.shadowRate }, 'route set');
      return config;
    });

    // Client keys: the key itself is in the answer to its creation only; it is never stored or logged.
    admin.post('/admin/keys', async (request, reply) => {
      const parsed = newKeySchema.safeParse((request.body as RawJsonBody | undefined)?.json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply.code(400).send(openAiError(`invalid key: ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`, 'invalid_request_error'));
      }
      const { key, record } = ctx.access.keys.create(parsed.data, new Date());
      request.log.info({ keyId: record.id, name: record.name }, 'client key created');
      return reply.code(201).send({ ...viewOf(record), key });
    });

    admin.get('/admin/keys', async () => ctx.access.keys.list().map(viewOf));

    admin.delete('/admin/keys/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const record = ctx.access.keys.revoke(request.params.id, new Date());
      if (!record) return reply.code(404).send(openAiError(`no client key "${request.params.id}"`, 'not_found_error', 'key_not_found'));
      ctx.access.forget(record.id);
      request.log.info({ keyId: record.id, name: record.name }, 'client key revoked');
      return viewOf(record);
    });

    // Requests in flight to one upstream: a server that leaves its route is stopped once they are answered.
    admin.get('/admin/in-flight', async (request: FastifyRequest<{ Querystring: { url?: string } }>, reply) => {
      const url = request.query.url;
      if (!url || !URL.canParse(url)) return reply.code(400).send(openAiError('url must be an upstream URL', 'invalid_request_error'));
      return { url, inFlight: ctx.upstreams.inFlight(url) };
    });

    admin.delete('/admin/routes/:route', async (request: FastifyRequest<{ Params: { route: string } }>, reply) => {
      if (!ctx.routes.delete(request.params.route))
        return reply.code(404).send(openAiError(`no route "${request.params.route}"`, 'not_found_error', 'route_not_found'));
      return { deleted: request.params.route };
    });

    admin.get(
      '/admin/routes/:route/stats',
      async (request: FastifyRequest<{ Params: { route: string }; Querystring: { from?: string; to?: string } }>, reply) => {
        const from = Number(request.query.from);
        const to = Number(request.query.to ?? Date.now());
        if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
          return reply.code(400).send(openAiError('from and to must be epoch milliseconds with from <= to', 'invalid_request_error'));
        }
        return ctx.stats.window(request.params.route, from, to);
      },
    );

    admin.get('/admin/routes/:route/history', async (request: FastifyRequest<{ Params: { route: string } }>, reply) => {
      const history = ctx.stableHistory.of(request.params.route);
      if (!history) return reply.code(404).send(openAiError(`no route "${request.params.route}" has been recorded`, 'not_found_error', 'route_not_found'));
      return history;
    });

    admin.get('/admin/routes/:route/breaker', async (request: FastifyRequest<{ Params: { route: string } }>, reply) => {
      const route = ctx.routes.get(request.params.route);
      if (!route) return reply.code(404).send(openAiError(`no route "${request.params.route}"`, 'not_found_error', 'route_not_found'));
      return ctx.breakers.state(request.params.route, route) ?? closedBreaker();
    });

    // The breaker and the health checks of the route's upstreams; ?probe=1 probes before answering.
    admin.get('/admin/routes/:route/health', async (request: FastifyRequest<{ Params: { route: string }; Querystring: { probe?: string } }>, reply) => {
      const route = ctx.routes.get(request.params.route);
      if (!route) return reply.code(404).send(openAiError(`no route "${request.params.route}"`, 'not_found_error', 'route_not_found'));
      const health = await ctx.health.forRoute(route, request.query.probe === '1' || request.query.probe === 'true');
      const breaker = ctx.breakers.state(request.params.route, route);
      return { breakerOpen: breaker?.open ? breaker.reason : null, stable: health.stable, candidate: health.candidate };
    });

    // Recent pairs, newest first; with ?rollout=, that rollout's pairs in recorded order from a cursor (?after=, ?until= epoch ms).
    admin.get(
      '/admin/routes/:route/pairs',
      async (
        request: FastifyRequest<{ Params: { route: string }; Querystring: { limit?: string; rollout?: string; after?: string; until?: string } }>,
        reply,
      ) => {
        const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), 1000);
        const { rollout, after, until } = request.query;
        if (rollout === undefined) return ctx.pairs.recent(request.params.route, limit);
        const untilMs = until === undefined ? undefined : Number(until);
        if (untilMs !== undefined && !Number.isFinite(untilMs))
          return reply.code(400).send(openAiError('until must be epoch milliseconds', 'invalid_request_error'));
        try {
          return await ctx.pairs.range({ route: request.params.route, rolloutId: rollout, after: after ?? null, limit, untilMs });
        } catch (error) {
          if (/not a pair cursor/.test((error as Error).message)) return reply.code(400).send(openAiError((error as Error).message, 'invalid_request_error'));
          throw error;
        }
      },
    );
  });
}
