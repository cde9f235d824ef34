import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  createDeviceSchema,
  createRegionSchema,
  createSiteSchema,
  createdDeviceSchema,
  deviceParamsSchema,
  deviceWithLatestSchema,
  errorResponseSchema,
  regionSchema,
  siteListQuerySchema,
  siteParamsSchema,
  siteSchema,
  type Device,
} from '../../contracts/index.js';
import { generateDeviceSecret } from '../../store/device-credentials.js';
import type { Store, TelemetryRecord } from '../../store/index.js';
import { notFound } from '../errors.js';
import type { LatestLookup } from '../ports.js';

export interface RegistryRouteOptions {
  store: Store;
  latest: LatestLookup;
  clock: () => number;
}

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };

/** Regions, sites and devices. */
export const registryRoutes: FastifyPluginAsyncZod<RegistryRouteOptions> = async (app, { store, latest, clock }) => {
  const { registry } = store;

  /** Devices with their newest reading: from memory when ingest has it, else from the store. */
  async function withLatest(devices: Device[]) {
    const missing = devices.filter((d) => !latest(d.id));
    const fromStore = new Map<string, TelemetryRecord>((await store.telemetry.latest(missing)).map((r) => [r.deviceId, r]));
    return devices.map((d) => ({ ...d, latest: latest(d.id) ?? fromStore.get(d.id) ?? null }));
  }

  app.get('/regions', { schema: { tags: ['registry'], summary: 'The region tree, city → district → township', response: { 200: z.array(regionSchema), ...errors } } }, () =>
    registry.listRegions(),
  );

  app.post(
    '/regions',
    { schema: { tags: ['registry'], summary: 'Create or rename a region', body: createRegionSchema, response: { 201: regionSchema, 422: errorResponseSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await registry.upsertRegion(request.body)),
  );

  app.get(
    '/sites',
    { schema: { tags: ['registry'], summary: 'Sites, optionally those in a region and below', querystring: siteListQuerySchema, response: { 200: z.array(siteSchema), ...errors } } },
    (request) => registry.listSites(request.query),
  );

  app.post(
    '/sites',
    { schema: { tags: ['registry'], summary: 'Create or update a site', body: createSiteSchema, response: { 201: siteSchema, 422: errorResponseSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await registry.upsertSite(request.body)),
  );

  app.get('/sites/:siteId', { schema: { tags: ['registry'], params: siteParamsSchema, response: { 200: siteSchema, ...errors } } }, async (request) => {
    const site = await registry.getSite(request.params.siteId);
    if (!site) throw notFound('site');
    return site;
  });

  app.get(
    '/sites/:siteId/devices',
    { schema: { tags: ['registry'], summary: "A site's devices with their newest reading", params: siteParamsSchema, response: { 200: z.array(deviceWithLatestSchema), ...errors } } },
    async (request) => {
      if (!(await registry.getSite(request.params.siteId))) throw notFound('site');
      return withLatest(await registry.listDevices({ siteId: request.params.siteId }));
    },
  );

  app.get('/devices/:deviceId', { schema: { tags: ['registry'], params: deviceParamsSchema, response: { 200: deviceWithLatestSchema, ...errors } } }, async (request) => {
    const device = await registry.getDevice(request.params.deviceId);
    if (!device) throw notFound('device');
    return (await withLatest([device]))[0]!;
  });

  app.post(
    '/devices',
    {
      schema: {
        tags: ['registry'],
        summary: 'Register a device; the response carries its MQTT secret, shown this once',
        body: createDeviceSchema,
        response: { 201: createdDeviceSchema, 409: errorResponseSchema, 422: errorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const secret = generateDeviceSecret();
      const device = await registry.createDevice(request.body, secret, clock());
      return reply.status(201).send({ device, secret });
    },
  );
};
