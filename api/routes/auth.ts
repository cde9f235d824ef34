import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponseSchema, loginRequestSchema, passwordChangeSchema, refreshRequestSchema, tokenResponseSchema, userSchema } from '../../contracts/index.js';
import { toUser } from '../accounts/service.js';
import { notFound } from '../errors.js';
import { rolesDoc, type RouteContext } from './context.js';

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 429: errorResponseSchema };

/** Logging in and refreshing: the only `/api/v1` routes that take no bearer token. */
export const loginRoutes: FastifyPluginAsyncZod<RouteContext & { rateLimitPerMinute: number }> = async (app, { accounts, rateLimitPerMinute }) => {
  const rateLimit = { max: rateLimitPerMinute, timeWindow: 60_000 };

  app.post(
    '/auth/login',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Log in with user name and password; returns a 15-minute access token and a one-use refresh token',
        description:
          'Open to everyone. Repeated failures for one name (5 free, then a lock from 1 minute doubling to 15) or from one address (30 in 15 minutes) answer 429 with Retry-After. Unknown names and wrong passwords get the same answer in the same time.',
        security: [],
        body: loginRequestSchema,
        response: { 200: tokenResponseSchema, ...errors },
      },
    },
    (request) => accounts.login(request.body.username, request.body.password, request.ip),
  );

  app.post(
    '/auth/refresh',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for new tokens. Each refresh token works once; presenting a used one ends the whole session',
        security: [],
        body: refreshRequestSchema,
        response: { 200: tokenResponseSchema, ...errors },
      },
    },
    (request) => accounts.refresh(request.body.refreshToken, request.ip),
  );
};

/** The caller's own session: who am I, log out, change my password. */
export const sessionRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { accounts, store, accessChanged }) => {
  const ALL = ['admin', 'supervisor', 'operator'] as const;

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The caller: user, role and scope',
        description: rolesDoc(ALL),
        response: { 200: userSchema, ...errors, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const user = await store.accounts.getUser(request.access.principal.id);
      if (!user) throw notFound('user');
      return toUser(user);
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End this session: its refresh token and access tokens stop working, its live sockets are dropped',
        description: rolesDoc(ALL),
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await accounts.logout(request.auth, request.ip);
      accessChanged();
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: "Change the caller's password; every other session of theirs ends",
        description: rolesDoc(ALL),
        body: passwordChangeSchema,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await accounts.changePassword(request.auth, request.body.currentPassword, request.body.newPassword, request.ip);
      accessChanged();
      return reply.status(204).send(null);
    },
  );
};
