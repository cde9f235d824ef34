import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponseSchema, publicSiteSchema, siteParamsSchema, type Alert, type DeviceProfile } from '../../contracts/index.js';
import { notFound } from '../errors.js';
import type { RouteContext } from './context.js';

/**
 * Bands for the public figure only (domain.md): chilled 0–8 °C, frozen at or
 * below −12 °C (the catering alarm floor), hot holding at or above 60 °C. The
 * alert engine judges with its own configurable rules; this is a summary for
 * diners, not an alarm.
 */
const BANDS: Partial<Record<DeviceProfile, { min: number; max: number }>> = {
  chilled: { min: 0, max: 8 },
  frozen: { min: -Infinity, max: -12 },
  hot_holding: { min: 60, max: Infinity },
};
const WINDOW_MS = 24 * 3_600_000;
const INTERVAL_MS = 15 * 60_000;
/** The count shown tops out here ("500"): a page for diners, not an audit. */
const OPEN_ALERTS_COUNTED = 500;

/** The newest pump-out the site's grease traps reported (`lastPumpOutTs`, device clock), or null. */
function newestPumpOut(latest: ReadonlyArray<{ values: Readonly<Record<string, unknown>> }>): number | null {
  const times = latest.map((r) => r.values.lastPumpOutTs).filter((t): t is number => typeof t === 'number' && t > 0);
  return times.length ? Math.max(...times) : null;
}

/** A site's transparency page (the QR code on the door): no login, public facts only. */
export const publicRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { store, clock }) => {
  app.get(
    '/public/sites/:siteId',
    {
      schema: {
        tags: ['public'],
        summary: "A site's public transparency page: name, devices online, cameras streaming, temperature compliance over the last 24 h, last grease-trap pump-out, open alerts",
        description: 'Open to everyone, no token. Inactive and unknown sites answer 404. No device ids, secrets or private data.',
        security: [],
        params: siteParamsSchema,
        response: { 200: publicSiteSchema, 400: errorResponseSchema, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const site = await store.registry.getSite(request.params.siteId);
      if (!site || !site.active) throw notFound('site');
      const [region, devices] = await Promise.all([store.registry.getRegion(site.regionId), store.registry.listDevices({ siteId: site.id })]);
      const live = devices.filter((d) => d.revokedAt === null);
      const cameras = live.filter((d) => d.kind === 'camera');
      const oilSeparators = live.filter((d) => d.kind === 'oil_separator');
      const [latestCameras, latestOil, active] = await Promise.all([
        store.telemetry.latest(cameras),
        store.telemetry.latest(oilSeparators),
        store.alerts.list({ scope: { kind: 'sites', siteIds: [site.id] }, state: 'active', limit: OPEN_ALERTS_COUNTED }),
      ]);
      const to = clock();
      const from = to - WINDOW_MS;
      let intervals = 0;
      let intervalsInRange = 0;
      for (const device of live) {
        const band = BANDS[device.profile];
        if (device.kind !== 'temperature' || !band) continue;
        const { points } = await store.telemetry.history({ deviceId: device.id, kind: device.kind, field: 'temperatureC', from, to, maxPoints: WINDOW_MS / INTERVAL_MS });
        for (const p of points) {
          intervals++;
          if (p.min >= band.min && p.max <= band.max) intervalsInRange++;
        }
      }
      return {
        siteId: site.id,
        name: site.name,
        address: site.address,
        region: region?.name ?? '',
        timezone: site.timezone,
        devices: { total: live.length, online: live.filter((d) => d.online).length },
        cameras: {
          total: cameras.length,
          online: cameras.filter((d) => d.online).length,
          streaming: latestCameras.filter((r) => r.values.streaming === true && cameras.find((c) => c.id === r.deviceId)?.online).length,
        },
        temperature: { from, to, intervals, intervalsInRange, compliance: intervals ? intervalsInRange / intervals : null },
        oilSeparators: { total: oilSeparators.length, lastPumpOutAt: newestPumpOut(latestOil) },
        openAlerts: active.filter(isPublicIssue).length,
      };
    },
  );
};

/**
 * What the public page counts as an issue the food-safety office follows up: a
 * warning or critical condition (not `info` maintenance such as a low battery or
 * camera storage, not an `anomaly` — an unverified statistical detection), or an
 * AI finding once a person confirmed it.
 */
function isPublicIssue(alert: Alert): boolean {
  if (alert.category === 'finding') return alert.verdict === 'confirmed';
  return alert.severity !== 'info' && alert.rule !== 'anomaly';
}

/**
 * `/p/<siteId>`: the short address printed as a QR code on the kitchen door. It
 * sends the phone to the transparency page of the dashboard build (`public.html`).
 */
export const publicPageRedirect: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/p/:siteId',
    { schema: { tags: ['public'], summary: "Short link to a site's public page (for QR codes)", security: [], params: siteParamsSchema, response: { 400: errorResponseSchema } } },
    async (request, reply) => {
      await reply.redirect(`/public.html?site=${encodeURIComponent(request.params.siteId)}`, 302);
    },
  );
};
