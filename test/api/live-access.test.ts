import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceTopic, type LiveReading } from '../../contracts/index.js';
import { connectDashboard, connectDevice, reading, startTestServer, type DashboardSocket, type TestServer, type TestUser } from '../helpers/server.js';

let server: TestServer;
let device: { id: string; secret: string; siteId: string };
let client: MqttClient | undefined;
let sockets: DashboardSocket[] = [];
let now = Date.now();

beforeEach(async () => {
  now = Date.now();
  server = await startTestServer({}, undefined, { clock: () => now });
  device = await server.provision({ id: 'fridge-1', siteId: 'site-1' });
  const { registry } = server.store;
  await registry.upsertRegion({ id: 'district-b', name: '西区', level: 'district', parentId: 'city' });
  await registry.upsertRegion({ id: 'town-b1', name: '西一镇', level: 'township', parentId: 'district-b' });
});
afterEach(async () => {
  for (const s of sockets) s.close();
  sockets = [];
  client?.end(true);
  client = undefined;
  await server.stop();
});

async function dashboard(user: TestUser | string) {
  const socket = await connectDashboard(server.httpUrl, typeof user === 'string' ? user : user.accessToken);
  sockets.push(socket);
  return socket;
}
const disconnected = (socket: DashboardSocket) => new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
const nextReading = (socket: DashboardSocket) => new Promise<LiveReading>((resolve) => socket.once('reading:new', resolve));

describe('socket.io access', () => {
  it('refuses a handshake without a token, with a refresh token, or with an unsigned token', async () => {
    const user = await server.userAs('admin');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${user.accessToken.split('.')[1]}.`;
    for (const token of ['', user.refreshToken, unsigned]) await expect(dashboard(token)).rejects.toThrow('unauthorized');
    expect((await dashboard(user)).connected).toBe(true);
  });

  it('drops a socket when its token expires; the client comes back with a fresh token', async () => {
    const user = await server.userAs('operator', { kind: 'sites', siteIds: ['site-1'] });
    const socket = await dashboard(user);
    expect(await socket.emitWithAck('site:subscribe', 'site-1')).toMatchObject({ ok: true });
    const dropped = disconnected(socket);
    now += 15 * 60_000;
    expect(await dropped).toBe('io server disconnect');
    await expect(dashboard(user)).rejects.toThrow('unauthorized');
    const renewed = await server.api.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: user.refreshToken } });
    expect((await dashboard(renewed.json().accessToken)).connected).toBe(true);
  });

  it('drops the sockets of a disabled user and of a session that logged out', async () => {
    const admin = await server.userAs('admin');
    const doomed = await server.userAs('supervisor', { kind: 'region', regionId: 'city' });
    const leaving = await server.userAs('operator', { kind: 'sites', siteIds: ['site-1'] });
    const a = await dashboard(doomed);
    const b = await dashboard(leaving);
    const aGone = disconnected(a);
    const bGone = disconnected(b);
    await server.api.inject({ method: 'PATCH', url: `/api/v1/users/${doomed.id}`, headers: admin.headers, payload: { disabled: true } });
    await server.api.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: leaving.headers });
    expect(await aGone).toBe('io server disconnect');
    expect(await bGone).toBe('io server disconnect');
  });

  it('a supervisor stops receiving a site the moment it moves out of their region', async () => {
    const admin = await server.userAs('admin');
    const supervisor = await server.userAs('supervisor', { kind: 'region', regionId: 'district-a' });
    const watcher = await dashboard(admin);
    const supSocket = await dashboard(supervisor);
    for (const s of [watcher, supSocket]) expect(await s.emitWithAck('site:subscribe', 'site-1')).toMatchObject({ ok: true });
    const received: LiveReading[] = [];
    supSocket.on('reading:new', (r) => received.push(r));
    client = await connectDevice(server.mqttUrl, device.id, device.secret);

    let seen = nextReading(watcher);
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(1), { qos: 1 });
    await seen;
    // An ack on the same connection comes after every event sent before it: an ordering barrier, not a sleep.
    await supSocket.emitWithAck('site:unsubscribe', 'nothing');
    expect(received.map((r) => r.seq)).toEqual([1]);

    const moved = await server.api.inject({ method: 'PATCH', url: '/api/v1/sites/site-1', headers: admin.headers, payload: { regionId: 'town-b1' } });
    expect(moved.statusCode).toBe(200);
    // The re-check runs right after the change; wait until it has (the supervisor's subscription is refused now).
    await expect.poll(async () => (await supSocket.emitWithAck('site:subscribe', 'site-1')).ok).toBe(false);
    seen = nextReading(watcher);
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(2), { qos: 1 });
    await seen;
    await supSocket.emitWithAck('site:unsubscribe', 'nothing');
    expect(received.map((r) => r.seq)).toEqual([1]);
  });
});
