import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { MemoryWatch, recordFigures } from '../helpers/figures.js';
import { connectPacket, subscribePacket } from '../helpers/mqtt-bytes.js';
import { rawConnect, type RawConnection } from '../helpers/raw-socket.js';
import { connectDashboard, connectDevice, reading, startTestServer, type DashboardSocket, type TestServer } from '../helpers/server.js';

/**
 * Fault item 11: clients that stop reading. A frozen dashboard is dropped
 * without slowing the others; a device that subscribed to its command topic
 * and froze does not stall the broker for the devices that publish.
 */
let server: TestServer;
const sockets: DashboardSocket[] = [];
const clients: MqttClient[] = [];
const raws: RawConnection[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const r of raws.splice(0)) r.socket.destroy();
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await server.stop();
});

/**
 * A socket.io client over HTTP long-polling, driven by hand so that it can
 * freeze: it logs in, subscribes to a site, and then simply never polls again —
 * a browser tab the OS suspended.
 */
async function frozenPollingDashboard(httpUrl: string, token: string, siteId: string): Promise<{ sid: string; poll: () => Promise<Response> }> {
  const base = `${httpUrl}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const { sid } = JSON.parse(open.slice(1)) as { sid: string };
  const url = `${base}&sid=${sid}`;
  const post = (body: string) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
  const poll = () => fetch(url);
  await post(`40${JSON.stringify({ token })}`);
  expect(await (await poll()).text()).toMatch(/^40/);
  await post(`420${JSON.stringify(['site:subscribe', siteId])}`);
  expect(await (await poll()).text()).toContain('"ok":true');
  return { sid, poll };
}

describe('fault 11: a frozen dashboard', () => {
  it('drops a dashboard that stopped polling once its queue passes the limit, while a live one gets every reading', async ({ task }) => {
    server = await startTestServer({ SK_LIVE_MAX_QUEUED: '50' });
    const device = await server.provision({ id: 'fridge-1' });
    const admin = await server.userAs('admin');
    const frozen = await frozenPollingDashboard(server.httpUrl, admin.accessToken, device.siteId);
    const live = await connectDashboard(server.httpUrl, admin.accessToken);
    sockets.push(live);
    expect(await live.emitWithAck('site:subscribe', device.siteId)).toMatchObject({ ok: true });
    let received = 0;
    live.on('reading:new', () => received++);

    const watch = new MemoryWatch();
    const client = await connectDevice(server.mqttUrl, device.id, device.secret);
    clients.push(client);
    const READINGS = 300;
    for (let seq = 1; seq <= READINGS; seq++) await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(seq), { qos: 1 });
    await expect.poll(() => received).toBe(READINGS);
    // The frozen one was dropped: its session is gone, so when it wakes its next poll is refused (it reconnects afresh).
    await expect.poll(async () => (await frozen.poll()).status).toBe(400);
    const memory = watch.stop();
    recordFigures(task, { faultsInjected: 1, ...memory });
  });
});

describe('fault 11: a frozen MQTT subscriber', () => {
  it('does not stall other devices while the server sends commands to a device that stopped reading, and drops it at its keepalive', async ({ task }) => {
    server = await startTestServer();
    const sleeper = await server.provision({ id: 'sleeper' });
    const worker = await server.provision({ id: 'worker' });
    const frozen = await rawConnect(server.mqttUrl);
    raws.push(frozen);
    frozen.socket.write(connectPacket({ clientId: sleeper.id, username: sleeper.id, password: sleeper.secret, keepalive: 1 }));
    await frozen.bytes(4);
    frozen.socket.write(subscribePacket(deviceTopic(sleeper.id, 'commands'), 1));
    await frozen.bytes(9);
    // The device stops reading: the kernel's buffers fill, then the broker's.
    frozen.socket.pause();

    const watch = new MemoryWatch();
    const COMMANDS = 400;
    for (let i = 0; i < COMMANDS; i++) {
      const command = Buffer.alloc(32 * 1024, i & 0xff);
      server.broker.aedes.publish({ cmd: 'publish', topic: deviceTopic(sleeper.id, 'commands'), payload: command, qos: 1, retain: false, dup: false }, () => undefined);
    }
    const client = await connectDevice(server.mqttUrl, worker.id, worker.secret);
    clients.push(client);
    for (let seq = 1; seq <= 100; seq++) await client.publishAsync(deviceTopic(worker.id, 'telemetry'), reading(seq), { qos: 1 });
    expect(await server.store.telemetry.count(worker.id)).toBe(100);
    // aedes writes to one client only as fast as it drains, so the backlog waits per client; the frozen
    // device sends no PINGREQ either, and is dropped 1.5 keepalives later [MQTT-3.1.2-24].
    await expect.poll(() => server.broker.connectedDevices, { timeout: 10_000 }).toBe(1);
    const memory = watch.stop();
    console.log(`[faults] frozen subscriber, ${COMMANDS} × 32 KiB commands: ${JSON.stringify(memory)}`);
    recordFigures(task, { faultsInjected: 1, ...memory });
  });
});
