import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { auditEntrySchema, auditQuerySchema, errorResponseSchema } from '../../contracts/index.js';
import { rolesDoc, type RouteContext } from './context.js';

/** The audit log, for admins. */
export const auditRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { store }) => {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Who did what: logins, provisioning, user, region and site changes, alert actions; newest first, paged with `before`',
        description: rolesDoc(['admin']),
        querystring: auditQuerySchema,
        response: { 200: z.array(auditEntrySchema), 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema },
      },
    },
    async (request) => {
      request.access.requireRole('admin');
      return store.audit.list(request.query);
    },
  );
};
