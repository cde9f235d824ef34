import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  deviceParamsSchema,
  errorResponseSchema,
  FIELDS_BY_KIND,
  findingSchema,
  historyQuerySchema,
  historyResponseSchema,
  pageQuerySchema,
  quarantineEntrySchema,
  quarantineQuerySchema,
} from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import { rolesDoc, type RouteContext } from './context.js';

const PREVIEW_BYTES = 4_096;
const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };
const ALL = ['admin', 'supervisor', 'operator'] as const;

/** History, quarantine and camera findings, each limited to the caller's scope. */
export const telemetryRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { store }) => {
  app.get(
    '/devices/:deviceId/history',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'One field of a device over a time range, downsampled to at most `points` buckets (min, max, mean, count)',
        description: rolesDoc(ALL),
        params: deviceParamsSchema,
        querystring: historyQuerySchema,
        response: { 200: historyResponseSchema, ...errors },
      },
    },
    async (request) => {
      const device = await request.access.device(request.params.deviceId);
      const { field, from, to, points } = request.query;
      if (!(field in FIELDS_BY_KIND[device.kind])) {
        throw new ApiError(400, 'unknown_field', `${device.kind} devices have no field ${field}; fields: ${Object.keys(FIELDS_BY_KIND[device.kind]).join(', ')}`);
      }
      const result = await store.telemetry.history({ deviceId: device.id, kind: device.kind, field, from, to, maxPoints: points });
      return { deviceId: device.id, field, from, to, ...result };
    },
  );

  app.get(
    '/quarantine',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Rejected payloads with their reason, newest first',
        description: rolesDoc(ALL, 'Payloads from unknown devices are shown to admins only.'),
        querystring: quarantineQuerySchema,
        response: { 200: z.array(quarantineEntrySchema), ...errors },
      },
    },
    async (request) => {
      if (request.query.deviceId !== undefined) await request.access.device(request.query.deviceId);
      const entries = await store.quarantine.list({ ...request.query, scope: await request.access.siteScope() });
      return entries.map(({ payload, ...entry }) => ({
        ...entry,
        payloadBytes: payload.length,
        payloadPreview: payload.subarray(0, PREVIEW_BYTES).toString('utf8'),
      }));
    },
  );

  app.get(
    '/devices/:deviceId/findings',
    {
      schema: {
        tags: ['telemetry'],
        summary: "A camera's AI findings, newest first (to be confirmed or dismissed by a person)",
        description: rolesDoc(ALL),
        params: deviceParamsSchema,
        querystring: pageQuerySchema.pick({ limit: true }),
        response: { 200: z.array(findingSchema), ...errors },
      },
    },
    async (request) => {
      await request.access.device(request.params.deviceId);
      const findings = await store.findings.list({ deviceId: request.params.deviceId, limit: request.query.limit });
      return findings.map(({ boot: _boot, ...f }) => f);
    },
  );
};
