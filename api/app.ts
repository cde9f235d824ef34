import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import { createTokenCheck } from './auth.js';
import { Access } from './scope.js';
import { installErrorHandler } from './errors.js';
import { attachLive } from './live.js';
import { attachAlertPush } from './live-alerts.js';
import type { AlertActions, AlertFeed, InsightLookup, LatestLookup, LiveFeed, ReadinessCheck } from './ports.js';
import { alertRoutes } from './routes/alerts.js';
import { registryRoutes } from './routes/registry.js';
import { telemetryRoutes } from './routes/telemetry.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller and their scope; set on every `/api/v1` request. */
    access: Access;
  }
}

export interface ApiOptions {
  store: Store;
  feed: LiveFeed;
  /** The alert lifecycle: its changes are pushed live, its actions back the alert routes. */
  alerts: { feed: AlertFeed; actions: AlertActions; insights: InsightLookup };
  metrics: Metrics;
  logger: Logger;
  adminToken: string;
  latest?: LatestLookup;
  /** Extra readiness checks (the MQTT listener); the store is always checked. */
  ready?: ReadinessCheck;
  /** Built dashboard to serve at `/`, if present. */
  dashboardDir?: string;
  liveThrottleMs?: number;
  corsOrigins?: string[];
  bodyLimitBytes?: number;
  clock?: () => number;
}

/**
 * Builds the HTTP API and socket.io on one fastify instance. Never listens: the
 * server entry (app/) does, tests use `app.inject()` or listen on port 0.
 * Everything the API opened is closed by `app.close()`.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: options.logger.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    routerOptions: { maxParamLength: 200 },
  });
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(server);

  const checkToken = createTokenCheck(options.adminToken);
  server.decorateRequest('access', undefined as unknown as Access);
  const clock = options.clock ?? Date.now;

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'sunshine-kitchen API',
        description: 'Sites, devices, live and historical telemetry of sunshine kitchens (阳光厨房).',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'admin token (SK_ADMIN_TOKEN)' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.get('/health', { schema: { tags: ['ops'], summary: 'Liveness: the process answers', security: [], response: { 200: z.object({ status: z.literal('ok') }) } } }, () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: the store answers and the MQTT listener is up',
        security: [],
        response: { 200: z.object({ status: z.literal('ready') }), 503: z.object({ status: z.literal('unavailable'), reason: z.string() }) },
      },
    },
    async (_request, reply) => {
      try {
        await options.store.ping();
        await options.ready?.();
        return { status: 'ready' as const };
      } catch (error) {
        return reply.status(503).send({ status: 'unavailable' as const, reason: (error as Error).message });
      }
    },
  );

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics', security: [], hide: false } }, async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request) => {
        request.access = new Access(checkToken(request.headers.authorization), options.store.registry);
      });
      await api.register(registryRoutes, { store: options.store, latest: options.latest ?? (() => undefined), clock });
      await api.register(telemetryRoutes, { store: options.store });
      await api.register(alertRoutes, { store: options.store, actions: options.alerts.actions, insights: options.alerts.insights });
    },
    { prefix: '/api/v1' },
  );

  if (options.dashboardDir && existsSync(options.dashboardDir)) {
    await app.register(fastifyStatic, { root: options.dashboardDir, prefix: '/', index: 'index.html', dotfiles: 'deny' });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('The dashboard is not built. Run `npm run build`, or see /docs for the API.\n'),
    );
  }

  const live = attachLive({
    httpServer: app.server,
    feed: options.feed,
    registry: options.store.registry,
    logger: options.logger.child({ component: 'live' }),
    authenticate: checkToken,
    throttleMs: options.liveThrottleMs ?? 1_000,
    corsOrigins: options.corsOrigins ?? [],
  });
  const detachAlerts = attachAlertPush(live.io, options.alerts.feed, options.store.registry, options.logger.child({ component: 'live' }));
  app.addHook('onClose', async () => {
    detachAlerts();
    await live.close();
  });
  return server;
}
