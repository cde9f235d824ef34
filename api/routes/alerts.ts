import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  alertAnalyticsSchema,
  alertListQuerySchema,
  alertParamsSchema,
  alertSchema,
  alertWithEventsSchema,
  analyticsQuerySchema,
  assignBodySchema,
  commentBodySchema,
  deviceParamsSchema,
  dismissBodySchema,
  errorResponseSchema,
  resolveBodySchema,
  type Alert,
  type RegionId,
} from '../../contracts/index.js';
import type { Store } from '../../store/index.js';
import { ApiError, notFound } from '../errors.js';
import type { AlertActions, InsightLookup } from '../ports.js';
import type { Access } from '../scope.js';

export interface AlertRouteOptions {
  store: Store;
  actions: AlertActions;
  insights: InsightLookup;
}

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };
const actionErrors = { ...errors, 403: errorResponseSchema, 409: errorResponseSchema };

/** Alerts: list and filter within the caller's scope, read one with its history, act on it, and the analytics regulators count. */
export const alertRoutes: FastifyPluginAsyncZod<AlertRouteOptions> = async (app, { store, actions, insights }) => {
  /** The alert, or 404 when it does not exist or its site is outside the caller's scope. */
  async function visibleAlert(access: Access, id: number): Promise<Alert> {
    const alert = await store.alerts.get(id);
    if (!alert) throw notFound('alert');
    try {
      await access.site(alert.siteId);
    } catch {
      throw notFound('alert');
    }
    return alert;
  }

  /** A region filter's path; 404 for a region that does not exist or that the caller may not see (`Access.regions`). */
  async function regionPath(access: Access, regionId: RegionId | undefined): Promise<string | undefined> {
    if (regionId === undefined) return undefined;
    const region = (await access.regions()).find((r) => r.id === regionId);
    if (!region) throw notFound('region');
    return region.path;
  }

  app.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts in your scope, newest first, filtered by state, severity, rule, region, site or device',
        querystring: alertListQuerySchema,
        response: { 200: z.array(alertSchema), ...errors },
      },
    },
    async (request) => {
      const { regionId, siteId, ...filters } = request.query;
      if (siteId !== undefined) await request.access.site(siteId);
      const path = await regionPath(request.access, regionId);
      return store.alerts.list({
        ...filters,
        scope: await request.access.siteScope(),
        ...(siteId !== undefined ? { siteId } : {}),
        ...(path !== undefined ? { regionPath: path } : {}),
      });
    },
  );

  app.get(
    '/alerts/analytics',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts raised in a period: time to acknowledge and resolve, counts by rule, site and severity, rectification rate',
        querystring: analyticsQuerySchema,
        response: { 200: alertAnalyticsSchema, ...errors },
      },
    },
    async (request) => {
      const { from, to, regionId, siteId } = request.query;
      if (siteId !== undefined) await request.access.site(siteId);
      const path = await regionPath(request.access, regionId);
      return store.alerts.analytics({
        scope: await request.access.siteScope(),
        from,
        to,
        ...(path !== undefined ? { regionPath: path } : {}),
        ...(siteId !== undefined ? { siteId } : {}),
      });
    },
  );

  app.get(
    '/alerts/:alertId',
    { schema: { tags: ['alerts'], summary: 'One alert with its full history: who did what, when', params: alertParamsSchema, response: { 200: alertWithEventsSchema, ...errors } } },
    async (request) => {
      const alert = await visibleAlert(request.access, request.params.alertId);
      return { ...alert, events: await store.alerts.events(alert.id) };
    },
  );

  const action = <B extends z.ZodType>(
    path: string,
    summary: string,
    body: B | undefined,
    run: (id: number, actor: string, body: z.infer<B>) => Promise<Alert>,
    options: { supervisorsOnly?: boolean } = {},
  ) =>
    app.post(
      `/alerts/:alertId/${path}`,
      { schema: { tags: ['alerts'], summary, params: alertParamsSchema, ...(body ? { body } : {}), response: { 200: alertSchema, ...actionErrors } } },
      async (request) => {
        const alert = await visibleAlert(request.access, request.params.alertId);
        const { principal } = request.access;
        if (options.supervisorsOnly && principal.role === 'operator') {
          throw new ApiError(403, 'forbidden', 'only supervisors confirm or dismiss AI findings about a site');
        }
        const changed = await run(alert.id, principal.id, request.body as z.infer<B>);
        await request.audit(`alert:${path === 'comments' ? 'comment' : path}`, `alert:${alert.id}`, { siteId: alert.siteId, rule: alert.rule, state: changed.state });
        return changed;
      },
    );

  action('acknowledge', 'Take an open alert: it stops escalating', undefined, (id, actor) => actions.acknowledge(id, actor));
  action('comments', 'Add a comment to the alert history', commentBodySchema, (id, actor, body) => actions.comment(id, actor, body.text));
  action('assign', 'Assign the alert to someone (null unassigns)', assignBodySchema, (id, actor, body) => actions.assign(id, actor, body.assignee));
  action('resolve', 'Resolve with the corrective action taken (also records it on an alert that cleared by itself)', resolveBodySchema, (id, actor, body) =>
    actions.resolve(id, actor, body.correctiveAction),
  );
  action('confirm', 'Confirm an AI finding is real (supervisors)', undefined, (id, actor) => actions.confirm(id, actor), { supervisorsOnly: true });
  action('dismiss', 'Dismiss an AI finding as wrong, with the reason (supervisors)', dismissBodySchema, (id, actor, body) => actions.dismiss(id, actor, body.reason), {
    supervisorsOnly: true,
  });

  app.get(
    '/devices/:deviceId/insights',
    {
      schema: {
        tags: ['alerts'],
        summary: "What the device's rules know now, e.g. an oil separator's fill rate and forecast full time",
        params: deviceParamsSchema,
        response: { 200: z.object({ deviceId: z.string(), insights: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])) }), ...errors },
      },
    },
    async (request) => {
      const device = await request.access.device(request.params.deviceId);
      return { deviceId: device.id, insights: insights(device.id) ?? {} };
    },
  );
};
