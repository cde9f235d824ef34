import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { connectDevice, reading, startTestServer, type TestServer, type TestUser } from '../helpers/server.js';

let server: TestServer;
let operator: TestUser;
let clients: MqttClient[] = [];

beforeEach(async () => {
  server = await startTestServer();
  await server.provision({ id: 'seed', siteId: 'site-1' });
  operator = await server.userAs('operator', { kind: 'sites', siteIds: ['site-1'] });
});
afterEach(async () => {
  for (const c of clients) c.end(true);
  clients = [];
  await server.stop();
});

const post = (url: string, headers: Record<string, string>, payload?: object) => server.api.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });
const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

async function register(id: string) {
  const res = await post('/api/v1/devices', operator.headers, { id, siteId: 'site-1', kind: 'temperature', label: '冷柜', profile: 'chilled' });
  expect(res.statusCode).toBe(201);
  return res.json() as { secret: string };
}

async function online(id: string, secret: string) {
  const client = await connectDevice(server.mqttUrl, id, secret);
  clients.push(client);
  await client.publishAsync(deviceTopic(id, 'telemetry'), reading(1), { qos: 1 });
  return client;
}

describe('device provisioning by a site operator', () => {
  it('revoking a connected device disconnects it at once and refuses it afterwards', async () => {
    const { secret } = await register('fridge-9');
    const client = await online('fridge-9', secret);
    const gone = closed(client);
    expect((await post('/api/v1/devices/fridge-9/revoke', operator.headers)).statusCode).toBe(200);
    await gone;
    await expect(connectDevice(server.mqttUrl, 'fridge-9', secret)).rejects.toMatchObject({ code: 5 });
    expect(await server.store.telemetry.count('fridge-9')).toBe(1);
  });

  it('rotating a secret disconnects the device; the old secret is refused and the new one works', async () => {
    const { secret: old } = await register('fridge-8');
    const client = await online('fridge-8', old);
    const gone = closed(client);
    const rotated = await post('/api/v1/devices/fridge-8/secret', operator.headers);
    expect(rotated.statusCode).toBe(200);
    const { secret } = rotated.json();
    expect(secret).not.toBe(old);
    await gone;
    await expect(connectDevice(server.mqttUrl, 'fridge-8', old)).rejects.toMatchObject({ code: 4 });
    const again = await online('fridge-8', secret);
    expect(again.connected).toBe(true);
    // The secret appears in no other response.
    const detail = await server.api.inject({ url: '/api/v1/devices/fridge-8', headers: operator.headers });
    expect(detail.body).not.toContain(secret);
    expect((await server.store.audit.list({ actor: operator.id, limit: 10 })).map((e) => e.action)).toEqual(['device:rotate-secret', 'device:provision', 'auth:login']);
  });

  it("deactivating a site disconnects and refuses its devices until it is reactivated; the public page then answers 404", async () => {
    const admin = await server.userAs('admin');
    const { secret } = await register('fridge-7');
    const client = await online('fridge-7', secret);
    const gone = closed(client);
    const patch = (active: boolean) => server.api.inject({ method: 'PATCH', url: '/api/v1/sites/site-1', headers: admin.headers, payload: { active } });
    expect((await patch(false)).json()).toMatchObject({ active: false });
    await gone;
    await expect(connectDevice(server.mqttUrl, 'fridge-7', secret)).rejects.toMatchObject({ code: 5 });
    expect((await server.api.inject({ url: '/api/v1/public/sites/site-1' })).statusCode).toBe(404);
    await patch(true);
    expect((await online('fridge-7', secret)).connected).toBe(true);
    expect((await server.store.audit.list({ action: 'site:deactivate', limit: 1 }))[0]).toMatchObject({ actor: admin.id, target: 'site:site-1' });
  });

  it('moves a site only to a township, and keeps its devices working', async () => {
    const admin = await server.userAs('admin');
    const { registry } = server.store;
    await registry.upsertRegion({ id: 'district-b', name: '西区', level: 'district', parentId: 'city' });
    await registry.upsertRegion({ id: 'town-b1', name: '西一镇', level: 'township', parentId: 'district-b' });
    const { secret } = await register('fridge-6');
    const move = (regionId: string) => server.api.inject({ method: 'PATCH', url: '/api/v1/sites/site-1', headers: admin.headers, payload: { regionId } });
    expect((await move('district-b')).json()).toMatchObject({ code: 'level_mismatch' });
    expect((await move('nowhere')).json()).toMatchObject({ code: 'region_not_found' });
    expect((await move('town-b1')).json()).toMatchObject({ regionId: 'town-b1' });
    const client = await online('fridge-6', secret);
    expect(client.connected).toBe(true);
    expect((await server.store.audit.list({ action: 'site:move', limit: 1 }))[0]!.detail).toEqual({ from: 'town-a1', to: 'town-b1' });
  });
});

describe('the public transparency page', () => {
  it('shows counts and a compliance figure from stored readings, and nothing private', async () => {
    const { secret } = await register('fridge-5');
    const client = await online('fridge-5', secret);
    await client.publishAsync(deviceTopic('fridge-5', 'telemetry'), reading(2, { temperatureC: 12 }, Date.now() - 30 * 60_000), { qos: 1 });
    const page = await server.api.inject({ url: '/api/v1/public/sites/site-1' });
    expect(page.statusCode).toBe(200);
    const body = page.json();
    expect(body).toMatchObject({ siteId: 'site-1', name: '餐厅 site-1', region: '东一镇', devices: { total: 2, online: 1 }, cameras: { total: 0 } });
    // One interval with 4.2 °C (in 0–8), one with 12 °C (out).
    expect(body.temperature).toMatchObject({ intervals: 2, intervalsInRange: 1, compliance: 0.5 });
    expect(page.body).not.toContain('fridge-5');
    expect(page.body).not.toContain(secret);
    expect((await server.api.inject({ url: '/api/v1/public/sites/nope' })).statusCode).toBe(404);
  });
});
