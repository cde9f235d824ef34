import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createDeviceSchema, createdDeviceSchema, deviceParamsSchema, deviceSchema, errorResponseSchema, rotatedSecretSchema } from '../../contracts/index.js';
import { generateDeviceSecret } from '../../store/device-credentials.js';
import { rolesDoc, type RouteContext } from './context.js';

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 404: errorResponseSchema };
const PROVISIONERS = ['admin', 'operator'] as const;

/**
 * Device provisioning: register, rotate a secret, revoke. Admins anywhere,
 * operators on their own sites; supervisors watch but do not provision (403).
 * A secret appears in a response exactly once and is stored only as a hash.
 */
export const provisioningRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { store, clock, devices }) => {
  const { registry } = store;

  app.post(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Register a device; the response carries its MQTT secret, shown this once',
        description: rolesDoc(PROVISIONERS),
        body: createDeviceSchema,
        response: { 201: createdDeviceSchema, 409: errorResponseSchema, 422: errorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      request.access.requireRole(...PROVISIONERS);
      const site = await request.access.site(request.body.siteId);
      const secret = generateDeviceSecret();
      const device = await registry.createDevice({ ...request.body, siteId: site.id }, secret, clock());
      await request.audit('device:provision', `device:${device.id}`, { siteId: site.id, kind: device.kind });
      return reply.status(201).send({ device, secret });
    },
  );

  app.post(
    '/devices/:deviceId/secret',
    {
      schema: {
        tags: ['devices'],
        summary: 'Rotate a device secret: the old one stops working and the device is disconnected; the new one is shown this once',
        description: rolesDoc(PROVISIONERS),
        params: deviceParamsSchema,
        response: { 200: rotatedSecretSchema, ...errors },
      },
    },
    async (request) => {
      request.access.requireRole(...PROVISIONERS);
      const device = await request.access.device(request.params.deviceId);
      const secret = generateDeviceSecret();
      await registry.rotateDeviceSecret(device.id, secret, clock());
      devices.deviceChanged(device.id, 'secret_rotated');
      await request.audit('device:rotate-secret', `device:${device.id}`, { siteId: device.siteId });
      return { deviceId: device.id, secret };
    },
  );

  app.post(
    '/devices/:deviceId/revoke',
    {
      schema: {
        tags: ['devices'],
        summary: 'Revoke a device: it is disconnected at once and refused (CONNACK 5) from then on',
        description: rolesDoc(PROVISIONERS),
        params: deviceParamsSchema,
        response: { 200: deviceSchema, ...errors },
      },
    },
    async (request) => {
      request.access.requireRole(...PROVISIONERS);
      const device = await request.access.device(request.params.deviceId);
      await registry.revokeDevice(device.id, clock());
      devices.deviceChanged(device.id, 'revoked');
      await request.audit('device:revoke', `device:${device.id}`, { siteId: device.siteId });
      return (await registry.getDevice(device.id))!;
    },
  );
};
