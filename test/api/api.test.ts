import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { connectDashboard, connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let auth: { authorization: string };

beforeEach(async () => {
  server = await startTestServer();
  auth = { authorization: `Bearer ${server.adminToken}` };
});
afterEach(async () => {
  await server.stop();
});

const get = (url: string, headers: Record<string, string> = auth) => server.api.inject({ method: 'GET', url, headers });

describe('REST API', () => {
  it('answers 401 without a token or with a wrong one, and never a stack trace', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
      const res = await get('/api/v1/sites', headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: 'unauthorized', message: expect.any(String) });
    }
  });

  it('keeps health, readiness and metrics open for operators', async () => {
    expect((await get('/health', {})).json()).toEqual({ status: 'ok' });
    expect((await get('/ready', {})).json()).toEqual({ status: 'ready' });
    const metrics = await get('/metrics', {});
    expect(metrics.body).toContain('sk_readings_stored_total');
  });

  it('reports on /metrics what the SQLite checkpointer copies and how long it takes', async () => {
    // The checkpointer thread copies the WAL into the file every second, whether or not it finds frames to copy.
    const copies = async () => Number(/^sk_sqlite_checkpoint_seconds_count (\d+)$/m.exec((await get('/metrics', {})).body)?.[1] ?? 0);
    await vi.waitFor(async () => expect(await copies()).toBeGreaterThanOrEqual(1), { timeout: 5_000, interval: 100 });
    expect((await get('/metrics', {})).body).toMatch(/^sk_sqlite_wal_frames \d+$/m);
  });

  it('registers a device, shows its secret once, and the device can then connect with it', async () => {
    await server.provision(); // region tree and site-1
    const register = () =>
      server.api.inject({
        method: 'POST',
        url: '/api/v1/devices',
        headers: auth,
        payload: { id: 'walk-in-1', siteId: 'site-1', kind: 'temperature', label: '冷库', profile: 'chilled' },
      });
    const created = await register();
    expect(created.statusCode).toBe(201);
    const { secret, device } = created.json();
    expect(device).toMatchObject({ id: 'walk-in-1', online: false, expectedIntervalS: 30 });
    const fetched = await get('/api/v1/devices/walk-in-1');
    expect(fetched.body).not.toContain(secret);

    const client = await connectDevice(server.mqttUrl, 'walk-in-1', secret);
    await client.publishAsync(deviceTopic('walk-in-1', 'telemetry'), reading(1, { temperatureC: 6.5 }), { qos: 1 });
    await client.endAsync();
    expect((await get('/api/v1/devices/walk-in-1')).json().latest.values).toEqual({ temperatureC: 6.5 });

    expect((await register()).statusCode).toBe(409);
  });

  it('rejects bad requests with a 4xx and a message that names the problem', async () => {
    const device = await server.provision();
    const cases: [string, number, string][] = [
      [`/api/v1/devices/${device.id}/history?field=temperatureC&from=10&to=5`, 400, 'after'],
      [`/api/v1/devices/${device.id}/history?field=temperatureC&from=0&to=10&points=99999`, 400, 'points'],
      [`/api/v1/devices/${device.id}/history?field=fillPct&from=0&to=10`, 400, 'fillPct'],
      [`/api/v1/devices/${device.id}/history?field=temperatureC&from=abc&to=10`, 400, 'from'],
      ['/api/v1/devices/nope/history?field=temperatureC&from=0&to=10', 404, 'device'],
      ['/api/v1/devices/..%2F..%2Fetc%2Fpasswd', 400, 'deviceId'],
      ['/api/v1/quarantine?limit=100000', 400, 'limit'],
      ['/api/v1/sites/unknown-site', 404, 'site'],
      ['/api/v1/no-such-route', 404, 'no route'],
    ];
    for (const [url, status, mention] of cases) {
      const res = await get(url);
      expect({ url, status: res.statusCode }).toEqual({ url, status });
      expect(res.json().message).toContain(mention);
    }
  });

  it('refuses unknown fields, wrong types and oversized bodies', async () => {
    await server.provision();
    const post = (payload: unknown) => server.api.inject({ method: 'POST', url: '/api/v1/sites', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    expect((await post({ id: 's2', name: 'x', regionId: 'town-a1', admin: true })).statusCode).toBe(400);
    expect((await post({ id: 's2', name: 42, regionId: 'town-a1' })).statusCode).toBe(400);
    expect((await post({ id: 's2', name: 'x', regionId: 'nowhere' })).statusCode).toBe(422);
    const huge = await post({ id: 's2', name: 'x'.repeat(100_000), regionId: 'town-a1' });
    expect(huge.statusCode).toBe(413);
    const broken = await server.api.inject({ method: 'POST', url: '/api/v1/sites', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"id":' });
    expect(broken.statusCode).toBe(400);
    expect((await post({ id: 's2', name: 'ok', regionId: 'town-a1' })).statusCode).toBe(201);
  });

  it('lists sites under a region and shows quarantined payloads with their reason', async () => {
    const device = await server.provision();
    await server.store.registry.upsertRegion({ id: 'district-b', name: '西区', level: 'district', parentId: 'city' });
    await server.store.registry.upsertRegion({ id: 'town-b1', name: '西一镇', level: 'township', parentId: 'district-b' });
    await server.store.registry.upsertSite({ id: 'site-west', name: '西边餐厅', regionId: 'town-b1' });
    expect((await get('/api/v1/sites?regionId=district-a')).json().map((s: { id: string }) => s.id)).toEqual(['site-1']);
    expect((await get('/api/v1/sites?regionId=city')).json()).toHaveLength(2);

    const client = await connectDevice(server.mqttUrl, device.id, device.secret);
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), JSON.stringify({ ts: Date.now(), seq: 1, boot: 'b', temperatureC: 'cold' }), { qos: 1 });
    await client.endAsync();
    const [entry] = (await get(`/api/v1/quarantine?deviceId=${device.id}`)).json();
    expect(entry).toMatchObject({ deviceId: device.id, channel: 'telemetry', reason: 'invalid_payload' });
    expect(entry.payloadPreview).toContain('"cold"');
    expect(entry.detail).toContain('temperatureC');
  });

  it('publishes an OpenAPI document that describes the routes and the bearer scheme', async () => {
    const doc = (await get('/docs/json', {})).json();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/sites', '/api/v1/devices/{deviceId}/history', '/api/v1/quarantine']));
  });
});

describe('socket.io', () => {
  it('refuses a connection without a valid token', async () => {
    await expect(connectDashboard(server.httpUrl, 'wrong-token')).rejects.toThrow('unauthorized');
  });

  it('answers a subscription to an unknown site with not_found', async () => {
    const socket = await connectDashboard(server.httpUrl, server.adminToken);
    try {
      expect(await socket.emitWithAck('site:subscribe', 'no-such-site')).toMatchObject({ ok: false, code: 'not_found' });
      expect(await socket.emitWithAck('site:subscribe', '../bad id')).toMatchObject({ ok: false, code: 'invalid_request' });
    } finally {
      socket.close();
    }
  });
});
