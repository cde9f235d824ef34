import { existsSync } from 'node:fs';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import { AccessLog } from './access-log.js';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleOptions } from './accounts/login-throttle.js';
import type { ScryptParams } from './accounts/passwords.js';
import { AccountService } from './accounts/service.js';
import type { TokenLifetimes } from './accounts/tokens.js';
import { createAuditRecorder } from './audit.js';
import { createAuthenticate, type Authenticated } from './auth.js';
import { Access } from './scope.js';
import { ApiError, installErrorHandler } from './errors.js';
import { attachLive } from './live.js';
import { attachAlertPush } from './live-alerts.js';
import type { AlertActions, AlertFeed, DeviceControl, InsightLookup, LatestLookup, LiveFeed, ReadinessCheck, RuleConfig } from './ports.js';
import { ruleRoutes } from './routes/rules.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { overviewRoutes } from './routes/overview.js';
import { loginRoutes, sessionRoutes } from './routes/auth.js';
import type { RouteContext } from './routes/context.js';
import { provisioningRoutes } from './routes/provisioning.js';
import { publicPageRedirect, publicRoutes } from './routes/public.js';
import { registryRoutes } from './routes/registry.js';
import { telemetryRoutes } from './routes/telemetry.js';
import { userRoutes } from './routes/users.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller and their scope; set on every authenticated `/api/v1` request. */
    access: Access;
    /** The caller's token: principal, login session (null for the break-glass token) and expiry. */
    auth: Authenticated;
    /**
     * Records an action of the caller in the audit log (actor, address and time
     * filled in), e.g. `request.audit('alert:acknowledge', 'alert:42', { note })`.
     */
    audit(action: string, target: string | null, detail?: Record<string, unknown>, outcome?: 'ok' | 'denied' | 'failed'): Promise<void>;
  }
}

/** Token lifetimes, password hashing cost and login throttling. */
export interface AuthOptions {
  /** HMAC key of access tokens, ≥ 32 bytes. */
  tokenSecret: Buffer;
  lifetimes: TokenLifetimes;
  scrypt?: ScryptParams;
  throttle?: Omit<LoginThrottleOptions, 'clock'>;
}

export interface ApiOptions {
  store: Store;
  feed: LiveFeed;
  /** The alert lifecycle: its changes are pushed live, its actions back the alert routes. */
  alerts: { feed: AlertFeed; actions: AlertActions; insights: InsightLookup; rules: RuleConfig };
  metrics: Metrics;
  logger: Logger;
  /** The break-glass admin token (SK_ADMIN_TOKEN); none unless configured. */
  adminToken?: string;
  auth: AuthOptions;
  /** Ends devices' MQTT sessions when their access changes; the composition root wires it to the broker and ingest. */
  devices?: DeviceControl;
  latest?: LatestLookup;
  /** Extra readiness checks (the MQTT listener); the store is always checked. */
  ready?: ReadinessCheck;
  /** Built dashboard to serve at `/`, if present. */
  dashboardDir?: string;
  liveThrottleMs?: number;
  /** See AlertPushOptions.batchMs (default 25). */
  liveAlertBatchMs?: number;
  /** See AlertPushOptions.maxFramesPerSecond (default 20,000). */
  liveAlertFramesPerSecond?: number;
  /** Unsent packets a live socket may have queued before it is dropped (see attachLive). */
  liveMaxQueuedPackets?: number;
  corsOrigins?: string[];
  bodyLimitBytes?: number;
  /** Requests per minute per client address, for the whole API; and for login and refresh. */
  rateLimit?: { perMinute: number; loginPerMinute: number };
  /** How often live sockets are re-checked (token expiry, ended sessions, scope changes). */
  liveRecheckMs?: number;
  clock?: () => number;
}

/**
 * Every schema here is zod. Handing fastify the zod compilers as its factories,
 * rather than setting them on the instance, keeps it from loading its default
 * ones (ajv and fast-json-stringify): a quarter of a second of start-up
 * (bench/README.md, "Fourteenth pass"). Fastify types the factories for ajv; at
 * run time it only calls what they return with a route's schema, as it calls a
 * compiler set with `setValidatorCompiler`.
 */
const ZOD_COMPILERS = {
  buildValidator: () => validatorCompiler,
  buildSerializer: () => serializerCompiler,
} as unknown as NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Builds the HTTP API and socket.io on one fastify instance. Never listens: the
 * server entry (app/) does, tests use `app.inject()` or listen on port 0.
 * Everything the API opened is closed by `app.close()`.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: options.logger.child({ component: 'api' }) as FastifyBaseLogger,
    logController: new AccessLog(),
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    routerOptions: { maxParamLength: 200 },
    schemaController: { compilersFactory: ZOD_COMPILERS },
  });
  const app = server.withTypeProvider<ZodTypeProvider>();
  installErrorHandler(server);

  const clock = options.clock ?? Date.now;
  const audit = createAuditRecorder(options.store.audit, clock);
  const accounts = new AccountService({
    store: options.store.accounts,
    audit,
    tokenSecret: options.auth.tokenSecret,
    lifetimes: options.auth.lifetimes,
    ...(options.auth.scrypt ? { scrypt: options.auth.scrypt } : {}),
    throttle: options.auth.throttle ?? DEFAULT_LOGIN_THROTTLE,
    clock,
  });
  const authenticate = createAuthenticate(accounts, options.adminToken);
  server.decorateRequest('access', undefined as unknown as Access);
  server.decorateRequest('auth', undefined as unknown as Authenticated);
  server.decorateRequest('audit', function (this: FastifyRequest, action: string, target: string | null, detail: Record<string, unknown> = {}, outcome: 'ok' | 'denied' | 'failed' = 'ok') {
    return audit({ actor: this.access?.principal.id ?? 'anonymous', action, target, outcome, ip: this.ip, detail });
  });

  // Security headers. The dashboard and /docs load scripts and styles from this origin only.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        connectSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        frameAncestors: ["'none'"],
        // Not on: a plain-HTTP install on a LAN address would have every script "upgraded" to a missing https.
        upgradeInsecureRequests: null,
      },
    },
    // The API is not embedded cross-origin; the default 'same-origin' is right.
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyCors, { origin: options.corsOrigins?.length ? options.corsOrigins : false, methods: ['GET', 'POST', 'PATCH'] });
  const limits = options.rateLimit ?? { perMinute: 600, loginPerMinute: 20 };
  await app.register(fastifyRateLimit, {
    global: true,
    max: limits.perMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) => new ApiError(429, 'rate_limited', `rate limit exceeded; retry in ${context.after}`),
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'sunshine-kitchen API',
        description: 'Sites, devices, live and historical telemetry of sunshine kitchens (阳光厨房).',
        version: '1',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'An access token from POST /api/v1/auth/login (JWT, HS256, 15 minutes; renew with POST /api/v1/auth/refresh), or the break-glass admin token (SK_ADMIN_TOKEN) where configured. Roles: admin (everything), supervisor (one region and everything below it, read-only), operator (their sites; may provision devices there). Objects outside the caller\'s scope answer 404; routes a role may not use answer 403.',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });

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
        response: { 200: z.object({ status: z.literal('ready'), warnings: z.array(z.string()).optional() }), 503: z.object({ status: z.literal('unavailable'), reason: z.string() }) },
      },
    },
    async (_request, reply) => {
      try {
        await options.store.ping();
        const warnings = (await options.ready?.()) ?? [];
        return { status: 'ready' as const, ...(warnings.length > 0 ? { warnings } : {}) };
      } catch (error) {
        return reply.status(503).send({ status: 'unavailable' as const, reason: (error as Error).message });
      }
    },
  );

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics', security: [], hide: false } }, async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });

  // Assigned once socket.io is attached below; routes only call it after start.
  let revalidateLive: () => Promise<void> = async () => undefined;
  const context: RouteContext = {
    store: options.store,
    accounts,
    audit,
    devices: options.devices ?? { deviceChanged: () => undefined },
    latest: options.latest ?? (() => undefined),
    clock,
    accessChanged: () => {
      revalidateLive().catch((error: unknown) => server.log.error({ err: error }, 'live re-check failed'));
    },
  };

  // No token: logging in, refreshing, public transparency pages.
  await app.register(
    async (open) => {
      await open.register(loginRoutes, { ...context, rateLimitPerMinute: limits.loginPerMinute });
      await open.register(publicRoutes, context);
    },
    { prefix: '/api/v1' },
  );
  // Everything else: the caller comes from the bearer token, on the server, for every request.
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request) => {
        request.auth = await authenticate(request.headers.authorization);
        request.access = new Access(request.auth.principal, options.store.registry);
      });
      for (const routes of [sessionRoutes, userRoutes, registryRoutes, provisioningRoutes, telemetryRoutes, auditRoutes, overviewRoutes]) await api.register(routes, context);
      await api.register(alertRoutes, { ...context, actions: options.alerts.actions, insights: options.alerts.insights });
      await api.register(ruleRoutes, { ...context, rules: options.alerts.rules });
    },
    { prefix: '/api/v1' },
  );

  await app.register(publicPageRedirect);
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
    authenticate,
    principalOf: (userId, sessionId) => accounts.principalOf(userId, sessionId),
    recheckMs: options.liveRecheckMs ?? 5_000,
    clock,
    throttleMs: options.liveThrottleMs ?? 1_000,
    maxQueuedPackets: options.liveMaxQueuedPackets ?? 1_000,
    corsOrigins: options.corsOrigins ?? [],
  });
  revalidateLive = live.revalidate;
  const detachAlerts = attachAlertPush(live.io, options.alerts.feed, options.store.registry, options.logger.child({ component: 'live' }), {
    batchMs: options.liveAlertBatchMs ?? 25,
    maxFramesPerSecond: options.liveAlertFramesPerSecond ?? 20_000,
  });
  app.addHook('onClose', async () => {
    detachAlerts();
    await live.close();
  });
  return server;
}
