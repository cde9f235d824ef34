import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '../../contracts/index.js';
import { connectDashboard, onAlert, connectDevice, reading, startTestServer, type DashboardSocket, type TestServer } from '../helpers/server.js';

const MIN = 60_000;
let servers: TestServer[] = [];
let sockets: DashboardSocket[] = [];
let hooks: Server[] = [];

afterEach(async () => {
  for (const s of sockets) s.close();
  for (const h of hooks) await new Promise((resolve) => h.close(resolve));
  for (const s of servers) await s.stop();
  servers = [];
  sockets = [];
  hooks = [];
});

const admin = (server: TestServer) => ({ authorization: `Bearer ${server.adminToken}` });
const alertsOf = async (server: TestServer, deviceId: string): Promise<Alert[]> =>
  (await server.api.inject({ url: `/api/v1/alerts?deviceId=${deviceId}`, headers: admin(server) })).json();

describe('alert lifecycle end to end', () => {
  it('a restart in the middle of an excursion alarms when the uninterrupted excursion would have', async () => {
    const first = await startTestServer();
    const { dataDir } = first;
    const { id, secret } = await first.provision({ id: 'fridge-1' });
    const t0 = Date.now() - 3 * 3_600_000;
    const send = async (server: TestServer, fromMin: number, toMin: number) => {
      const device = await connectDevice(server.mqttUrl, id, secret);
      for (let m = fromMin; m <= toMin; m++) {
        await device.publishAsync(deviceTopic(id, 'telemetry'), reading(m, { temperatureC: 10.5 }, t0 + m * MIN), { qos: 1 });
      }
      await device.endAsync();
    };
    // 15 minutes at 10.5 °C: not yet the chilled profile's 30-minute delay.
    await send(first, 0, 15);
    expect(await alertsOf(first, id)).toEqual([]);
    await first.close();

    const second = await startTestServer({}, dataDir);
    servers.push(second);
    await send(second, 16, 29);
    expect(await alertsOf(second, id)).toEqual([]);
    await send(second, 30, 31);
    await second.alerting.lifecycle.drain();
    const [alert] = await alertsOf(second, id);
    // Started before the restart: the excursion clock survived it.
    expect(alert).toMatchObject({ rule: 'temperature_high', state: 'open', raisedAt: t0, value: 10.5, limit: 8 });
  });

  it('escalates an unacknowledged alert to the district and the city on a controlled clock, pushing and notifying each step', async () => {
    const received: { event: string; alert: Alert; audience: { level: string; regionId: string } }[] = [];
    const hook = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => (body += c.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(204).end();
      });
    });
    hooks.push(hook);
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    let now = Date.now();
    const server = await startTestServer(
      { SK_ALERT_TICK_MS: '0', SK_WEBHOOK_URLS: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` },
      undefined,
      { clock: () => now },
    );
    servers.push(server);
    const { id, secret } = await server.provision({ id: 'fridge-door' });
    const socket = await connectDashboard(server.httpUrl, server.adminToken);
    sockets.push(socket);
    const pushed: Alert[] = [];
    onAlert(socket, 'alert:raised', (a) => pushed.push(a));
    onAlert(socket, 'alert:updated', (a) => pushed.push(a));

    // The door open from 10 minutes ago until now: longer than the 5-minute limit.
    const device = await connectDevice(server.mqttUrl, id, secret);
    await device.publishAsync(deviceTopic(id, 'telemetry'), reading(1, { temperatureC: 4, doorOpen: true }, now - 10 * MIN), { qos: 1 });
    await device.publishAsync(deviceTopic(id, 'telemetry'), reading(2, { temperatureC: 5, doorOpen: true }, now), { qos: 1 });
    await device.endAsync();
    await server.alerting.lifecycle.drain();
    const [alert] = await alertsOf(server, id);
    expect(alert).toMatchObject({ rule: 'door_open', escalation: 'township', state: 'open' });

    // The device is silent from now on, so no_data and device_offline alerts join in: follow this one.
    const level = async () => (await alertsOf(server, id)).find((a) => a.id === alert!.id)!.escalation;
    const step = async (minutes: number) => {
      now += minutes * MIN;
      await server.alerting.engine.tick();
      await server.alerting.dispatcher.idle();
    };
    await step(29);
    expect(await level()).toBe('township');
    await step(1);
    expect(await level()).toBe('district');
    await step(90);
    expect(await level()).toBe('city');

    // Acknowledged: it climbs no further; an hour later comes a reminder, not an escalation.
    await server.api.inject({ method: 'POST', url: `/api/v1/alerts/${alert!.id}/acknowledge`, headers: admin(server) });
    await step(60);
    expect(received.filter((n) => n.alert.id === alert!.id).map((n) => `${n.event}:${n.audience.level}:${n.audience.regionId}`)).toEqual([
      'alert.raised:township:town-a1',
      'alert.escalated:district:district-a',
      'alert.escalated:city:city',
      'alert.reminder:city:city',
    ]);
    await socket.emitWithAck('site:unsubscribe', 'barrier');
    expect(pushed.filter((a) => a.id === alert!.id).map((a) => a.escalation)).toEqual(expect.arrayContaining(['township', 'district', 'city']));
  });
});
