import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceKind, LiveReading } from '../../contracts/index.js';
import { Fleet } from '../../simulators/fleet.js';
import { connectDashboard, connectDevice, provisionDemoPlan, startTestServer, type DashboardSocket, type TestServer } from '../helpers/server.js';

let server: TestServer | undefined;
let fleet: Fleet | undefined;
let socket: DashboardSocket | undefined;

afterEach(async () => {
  socket?.close();
  await fleet?.stop();
  await server?.stop();
  server = fleet = socket = undefined;
});

const provisionPlan = (target: TestServer, sites: number) => provisionDemoPlan(target, { seed: 7, sites });

describe('device to dashboard, end to end', () => {
  it('simulated devices publish through the broker; a dashboard receives them live; the API serves them from SQLite', async () => {
    server = await startTestServer();
    const devices = await provisionPlan(server, 2);
    const site = devices[0]!.siteId!;
    const siteDevices = devices.filter((d) => d.siteId === site);

    socket = await connectDashboard(server.httpUrl, server.adminToken);
    const ack = await socket.emitWithAck('site:subscribe', site);
    expect(ack).toEqual({ ok: true, data: { siteId: site } });
    const live = new Map<string, LiveReading>();
    const everyDeviceSeen = new Promise<void>((resolve) =>
      socket!.on('reading:new', (reading) => {
        live.set(reading.deviceId, reading);
        if (siteDevices.every((d) => live.has(d.id))) resolve();
      }),
    );

    fleet = new Fleet({ url: server.mqttUrl, devices, intervalMs: 200, seed: 7 });
    await fleet.start();
    await everyDeviceSeen;

    // Only the subscribed site's readings were pushed, and every kind of device took part.
    expect([...live.values()].every((r) => r.siteId === site)).toBe(true);
    expect(new Set([...live.values()].map((r) => r.kind))).toEqual(new Set<DeviceKind>(['temperature', 'oil_separator', 'camera']));

    await fleet.stop();
    const { acked } = fleet.stats();
    fleet = undefined;
    // Every acknowledged reading is in the store: PUBACK came after the commit.
    expect(await server.store.telemetry.count()).toBe(acked);

    const fridge = siteDevices.find((d) => d.kind === 'temperature')!;
    const auth = { authorization: `Bearer ${server.adminToken}` };
    const detail = await server.api.inject({ url: `/api/v1/devices/${fridge.id}`, headers: auth });
    expect(detail.statusCode).toBe(200);
    const latest = detail.json().latest;
    expect(latest.values.temperatureC).toEqual(expect.any(Number));
    // The live push showed the same reading the API now serves as newest (or an older one, if throttled).
    expect(live.get(fridge.id)!.ts).toBeLessThanOrEqual(latest.ts);

    const history = await server.api.inject({
      url: `/api/v1/devices/${fridge.id}/history?field=temperatureC&from=${latest.ts - 3_600_000}&to=${latest.ts + 1}&points=10`,
      headers: auth,
    });
    expect(history.statusCode).toBe(200);
    const body = history.json() as { points: { count: number; min: number; max: number }[] };
    expect(body.points.length).toBeGreaterThan(0);
    expect(body.points.length).toBeLessThanOrEqual(10);
    expect(body.points.reduce((n, p) => n + p.count, 0)).toBe(await server.store.telemetry.count(fridge.id));
  });

  it('keeps every acknowledged reading across a restart of the server', async () => {
    server = await startTestServer();
    const dataDir = server.dataDir;
    const devices = (await provisionPlan(server, 1)).slice(0, 4);
    fleet = new Fleet({ url: server.mqttUrl, devices, intervalMs: 100, seed: 3 });
    await fleet.start();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (fleet!.stats().acked >= 40) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    await fleet.stop();
    const { acked } = fleet.stats();
    fleet = undefined;
    await server.close();

    server = await startTestServer({}, dataDir);
    expect(await server.store.telemetry.count()).toBe(acked);
  });
});

describe('presence across a restart', () => {
  it('shows devices offline after a restart until they reconnect', async () => {
    server = await startTestServer();
    const dataDir = server.dataDir;
    const [device] = await provisionPlan(server, 1);
    // As after a crash: the database says online, but no connection survived.
    await server.store.registry.setPresence(device!.id, true, Date.now());
    await server.close();

    server = await startTestServer({}, dataDir);
    expect((await server.store.registry.getDevice(device!.id))?.online).toBe(false);
    const online = new Promise<void>((resolve) => server!.ingest.once('device:presence', () => resolve()));
    const client = await connectDevice(server.mqttUrl, device!.id, device!.secret);
    await online;
    expect((await server.store.registry.getDevice(device!.id))?.online).toBe(true);
    await client.endAsync();
  });
});
