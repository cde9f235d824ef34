import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createUserSchema, errorResponseSchema, updateUserSchema, userParamsSchema, userSchema } from '../../contracts/index.js';
import type { UserUpdate } from '../../store/index.js';
import { toUser } from '../accounts/service.js';
import { notFound } from '../errors.js';
import { rolesDoc, type RouteContext } from './context.js';

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 404: errorResponseSchema };

/** User administration: admins only. */
export const userRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { store, accounts, clock, accessChanged }) => {
  const { accounts: users } = store;

  app.get(
    '/users',
    { schema: { tags: ['users'], summary: 'Every user account', description: rolesDoc(['admin']), response: { 200: z.array(userSchema), ...errors } } },
    async (request) => {
      request.access.requireRole('admin');
      return (await users.listUsers()).map(toUser);
    },
  );

  app.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user: admin (scope all), supervisor (scope one region) or operator (scope a list of sites)',
        description: rolesDoc(['admin']),
        body: createUserSchema,
        response: { 201: userSchema, 409: errorResponseSchema, 422: errorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      request.access.requireRole('admin');
      const { password, ...rest } = request.body;
      const user = await users.createUser({ ...rest, passwordHash: await accounts.hash(password), at: clock() });
      await request.audit('user:create', `user:${user.id}`, { role: user.role, scope: user.scope });
      return reply.status(201).send(toUser(user));
    },
  );

  app.get(
    '/users/:userId',
    { schema: { tags: ['users'], description: rolesDoc(['admin']), params: userParamsSchema, response: { 200: userSchema, ...errors } } },
    async (request) => {
      request.access.requireRole('admin');
      const user = await users.getUser(request.params.userId);
      if (!user) throw notFound('user');
      return toUser(user);
    },
  );

  app.patch(
    '/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: "Change a user's name, role and scope, disable or enable them, or reset their password",
        description: rolesDoc(['admin'], 'Disabling a user or resetting their password ends all their sessions and live sockets at once.'),
        params: userParamsSchema,
        body: updateUserSchema,
        response: { 200: userSchema, 422: errorResponseSchema, ...errors },
      },
    },
    async (request) => {
      request.access.requireRole('admin');
      const { userId } = request.params;
      const body = request.body;
      const update: UserUpdate = {};
      if (body.displayName !== undefined) update.displayName = body.displayName;
      if (body.role !== undefined && body.scope !== undefined) update.access = { role: body.role, scope: body.scope };
      if (body.disabled !== undefined) update.disabled = body.disabled;
      const now = clock();
      let user = await users.updateUser(userId, update, now);
      if (body.password !== undefined) {
        await users.setPassword(userId, await accounts.hash(body.password), now);
        user = (await users.getUser(userId))!;
      }
      if (body.disabled === true || body.password !== undefined) await users.revokeUserSessions(userId, now, body.disabled ? 'user_disabled' : 'password_reset');
      const changes = Object.keys(body).filter((k) => k !== 'password');
      await request.audit('user:update', `user:${userId}`, { changes, ...(update.access ? { role: user.role, scope: user.scope } : {}), passwordReset: body.password !== undefined });
      accessChanged();
      return toUser(user);
    },
  );
};
