import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  createRegionSchema,
  createSiteSchema,
  deviceParamsSchema,
  deviceWithLatestSchema,
  errorResponseSchema,
  regionSchema,
  siteListQuerySchema,
  siteParamsSchema,
  siteSchema,
  updateSiteSchema,
  type Device,
  type Site,
} from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import { ApiError } from '../errors.js';
import { rolesDoc, type RouteContext } from './context.js';

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 404: errorResponseSchema };
const ALL = ['admin', 'supervisor', 'operator'] as const;

/** Regions and sites; device reads. Reads are filtered by the caller's scope; changes are admin-only. */
export const registryRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { store, latest } = ctx;
  const { registry } = store;

  /** Devices with their newest reading: from memory when ingest has it, else from the store. */
  async function withLatest(devices: Device[]) {
    const missing = devices.filter((d) => !latest(d.id));
    const fromStore = new Map<string, TelemetryRecord>((await store.telemetry.latest(missing)).map((r) => [r.deviceId, r]));
    return devices.map((d) => ({ ...d, latest: latest(d.id) ?? fromStore.get(d.id) ?? null }));
  }

  /** Sites live in townships: the bottom of the city → district → township tree. */
  async function requireTownship(regionId: string) {
    const region = await registry.getRegion(regionId);
    if (!region) throw new ApiError(422, 'region_not_found', `region ${regionId} does not exist`);
    if (region.level !== 'township') throw new ApiError(422, 'level_mismatch', `sites belong to townships, not to a ${region.level}`);
  }

  app.get(
    '/regions',
    {
      schema: {
        tags: ['registry'],
        summary: 'The region tree, city → district → township',
        description: rolesDoc(ALL, "Lists the regions inside the caller's scope and their ancestors."),
        response: { 200: z.array(regionSchema), ...errors },
      },
    },
    (request) => request.access.regions(),
  );

  app.post(
    '/regions',
    {
      schema: {
        tags: ['registry'],
        summary: 'Create or rename a region',
        description: rolesDoc(['admin']),
        body: createRegionSchema,
        response: { 201: regionSchema, 422: errorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      request.access.requireRole('admin');
      const existed = await registry.getRegion(request.body.id);
      const region = await registry.upsertRegion(request.body);
      await request.audit(existed ? 'region:rename' : 'region:create', `region:${region.id}`, { name: region.name, parentId: region.parentId });
      return reply.status(201).send(region);
    },
  );

  app.get(
    '/sites',
    {
      schema: {
        tags: ['registry'],
        summary: 'Sites, optionally those in a region and below',
        description: rolesDoc(ALL),
        querystring: siteListQuerySchema,
        response: { 200: z.array(siteSchema), ...errors },
      },
    },
    async (request) => registry.listSites({ ...request.query, scope: await request.access.siteScope() }),
  );

  app.post(
    '/sites',
    {
      schema: {
        tags: ['registry'],
        summary: 'Create or replace a site',
        description: rolesDoc(['admin'], 'The region must be a township.'),
        body: createSiteSchema,
        response: { 201: siteSchema, 422: errorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      request.access.requireRole('admin');
      await requireTownship(request.body.regionId);
      const before = await registry.getSite(request.body.id);
      const site = await registry.upsertSite(request.body);
      await request.audit(before ? 'site:update' : 'site:create', `site:${site.id}`, { regionId: site.regionId, name: site.name });
      if (before) await afterSiteChange(before, site);
      return reply.status(201).send(site);
    },
  );

  app.patch(
    '/sites/:siteId',
    {
      schema: {
        tags: ['registry'],
        summary: 'Change a site: rename, move to another township, deactivate or reactivate',
        description: rolesDoc(['admin'], "Deactivating disconnects the site's devices and refuses them (CONNACK 5) until it is reactivated."),
        params: siteParamsSchema,
        body: updateSiteSchema,
        response: { 200: siteSchema, 422: errorResponseSchema, ...errors },
      },
    },
    async (request) => {
      request.access.requireRole('admin');
      const before = await request.access.site(request.params.siteId);
      const change = request.body;
      if (change.regionId !== undefined && change.regionId !== before.regionId) await requireTownship(change.regionId);
      const site = await registry.upsertSite({
        id: before.id,
        name: change.name ?? before.name,
        regionId: change.regionId ?? before.regionId,
        address: change.address === undefined ? before.address : change.address,
        timezone: change.timezone ?? before.timezone,
        active: change.active ?? before.active,
      });
      if (site.regionId !== before.regionId) await request.audit('site:move', `site:${site.id}`, { from: before.regionId, to: site.regionId });
      if (site.active !== before.active) await request.audit(site.active ? 'site:activate' : 'site:deactivate', `site:${site.id}`);
      if (site.name !== before.name || site.address !== before.address || site.timezone !== before.timezone) {
        await request.audit('site:update', `site:${site.id}`, { name: site.name });
      }
      await afterSiteChange(before, site);
      return site;
    },
  );

  /** Keeps the device side and live sockets in step with a changed site. */
  async function afterSiteChange(before: Site, after: Site) {
    if (before.active && !after.active) {
      for (const device of await registry.listDevices({ siteId: after.id })) ctx.devices.deviceChanged(device.id, 'site_inactive');
    }
    if (before.regionId !== after.regionId) ctx.accessChanged();
  }

  app.get(
    '/sites/:siteId',
    { schema: { tags: ['registry'], description: rolesDoc(ALL), params: siteParamsSchema, response: { 200: siteSchema, ...errors } } },
    (request) => request.access.site(request.params.siteId),
  );

  app.get(
    '/sites/:siteId/devices',
    {
      schema: {
        tags: ['registry'],
        summary: "A site's devices with their newest reading",
        description: rolesDoc(ALL),
        params: siteParamsSchema,
        response: { 200: z.array(deviceWithLatestSchema), ...errors },
      },
    },
    async (request) => {
      const site = await request.access.site(request.params.siteId);
      return withLatest(await registry.listDevices({ siteId: site.id }));
    },
  );

  app.get(
    '/devices/:deviceId',
    { schema: { tags: ['registry'], description: rolesDoc(ALL), params: deviceParamsSchema, response: { 200: deviceWithLatestSchema, ...errors } } },
    async (request) => (await withLatest([await request.access.device(request.params.deviceId)]))[0]!,
  );
};
