import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  deviceParamsSchema,
  errorResponseSchema,
  ruleOverridesSchema,
  ruleSettingsSchema,
  siteParamsSchema,
} from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import type { RuleConfig } from '../ports.js';
import { rolesDoc, type RouteContext } from './context.js';

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 404: errorResponseSchema };
const ALL = ['admin', 'supervisor', 'operator'] as const;
/** A restaurant must not relax its own alarm limits: overrides are set by regulators and admins. */
const RULE_EDITORS = ['admin', 'supervisor'] as const;

const rulesViewSchema = z.object({
  overrides: z.unknown().describe('this level\'s overrides (a deep partial of the pack settings), or null'),
  effective: ruleSettingsSchema,
});
const overridesBodySchema = z.object({ overrides: ruleOverridesSchema.nullable().describe('null removes the overrides') });

/** Rule packs and the overrides of a site or a device. */
export const ruleRoutes: FastifyPluginAsyncZod<RouteContext & { rules: RuleConfig }> = async (app, { store, rules, clock }) => {
  const { ruleState, registry } = store;

  /** Resolves the effective settings, turning a conflict between layers into a 422 that lists it. */
  const effective = (site: unknown, device?: unknown) => {
    try {
      return rules.resolve(site, device);
    } catch (error) {
      throw new ApiError(422, 'rule_settings_invalid', (error as Error).message);
    }
  };

  app.get(
    '/rule-packs',
    { schema: { tags: ['rules'], summary: 'The rule packs this server knows, each limit with its source', description: rolesDoc(ALL), response: { 200: z.array(z.object({ id: z.string(), version: z.number(), name: z.string(), description: z.string(), settings: z.unknown() })), ...errors } } },
    () => [...rules.packs()],
  );

  app.get(
    '/sites/:siteId/rules',
    { schema: { tags: ['rules'], summary: "A site's rule overrides and the settings its devices get", description: rolesDoc(ALL), params: siteParamsSchema, response: { 200: rulesViewSchema, ...errors } } },
    async (request) => {
      const site = await request.access.site(request.params.siteId);
      const overrides = (await ruleState.getOverrides({ kind: 'site', id: site.id })) ?? null;
      return { overrides, effective: effective(overrides) };
    },
  );

  app.get(
    '/devices/:deviceId/rules',
    { schema: { tags: ['rules'], summary: "A device's rule overrides and the settings it is evaluated with", description: rolesDoc(ALL), params: deviceParamsSchema, response: { 200: rulesViewSchema, ...errors } } },
    async (request) => {
      const device = await request.access.device(request.params.deviceId);
      const site = await ruleState.getOverrides({ kind: 'site', id: device.siteId });
      const overrides = (await ruleState.getOverrides({ kind: 'device', id: device.id })) ?? null;
      return { overrides, effective: effective(site, overrides) };
    },
  );

  const put = (kind: 'site' | 'device') =>
    app.put(
      kind === 'site' ? '/sites/:siteId/rules' : '/devices/:deviceId/rules',
      {
        schema: {
          tags: ['rules'],
          summary: kind === 'site' ? "Set a site's rule overrides (every device of the site)" : "Set a device's rule overrides",
          description: rolesDoc([...RULE_EDITORS], 'Unknown keys are refused; the result must be consistent (422 lists what is not).'),
          params: kind === 'site' ? siteParamsSchema : deviceParamsSchema,
          body: overridesBodySchema,
          response: { 200: rulesViewSchema, 422: errorResponseSchema, ...errors },
        },
      },
      async (request) => {
        const params = request.params as { siteId?: string; deviceId?: string };
        // Scope first (404 outside it), then role (403): an operator learns nothing about other sites.
        const device = params.deviceId !== undefined ? await request.access.device(params.deviceId) : undefined;
        const site = await request.access.site(device?.siteId ?? params.siteId!);
        request.access.requireRole(...RULE_EDITORS);
        const { overrides } = request.body;
        const siteOverrides = kind === 'site' ? overrides : await ruleState.getOverrides({ kind: 'site', id: site.id });
        const deviceOverrides = device ? overrides : undefined;
        const settings = effective(siteOverrides, deviceOverrides);
        const id = device?.id ?? site.id;
        await ruleState.setOverrides({ kind, id }, overrides, clock());
        await request.audit('rules:set', `${kind}:${id}`, { overrides: overrides === null ? null : JSON.stringify(overrides) });
        await rules.changed(device ? [device.id] : (await registry.listDevices({ siteId: site.id })).map((d) => d.id));
        return { overrides, effective: settings };
      },
    );
  put('site');
  put('device');
};
