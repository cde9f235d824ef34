import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '../../contracts/index.js';
import { MemoryWatch, recordFigures } from '../helpers/figures.js';
import { connectPacket } from '../helpers/mqtt-bytes.js';
import { rawConnect, type RawConnection } from '../helpers/raw-socket.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault items 3 and 5: sockets that never send CONNECT, connect floods, and
 * brute force on device secrets. Hostile clients connect from other loopback
 * addresses (127.0.0.2, …) so the broker sees them as other hosts than the
 * well-behaved device on 127.0.0.1.
 */
let server: TestServer;
const open: RawConnection[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const conn of open.splice(0)) conn.socket.destroy();
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await server.stop();
});

async function closedCount(reason: string): Promise<number> {
  const metric = await server.metrics.registry.getSingleMetric('sk_mqtt_connections_closed_total')!.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Opens `n` raw connections from `localAddress` that never send a byte. */
async function silentSockets(n: number, localAddress: string): Promise<RawConnection[]> {
  const conns = await Promise.all(Array.from({ length: n }, () => rawConnect(server.mqttUrl, localAddress)));
  open.push(...conns);
  return conns;
}

/** A well-behaved device publishes a reading and gets it stored. */
async function deviceWorks(client: MqttClient, id: string, seq: number): Promise<void> {
  await client.publishAsync(deviceTopic(id, 'telemetry'), reading(seq), { qos: 1 });
  expect(await server.store.telemetry.count(id)).toBe(seq);
}

describe('fault 3: sockets that never send CONNECT', () => {
  it('closes hundreds of silent sockets after the connect timeout while a device keeps publishing', async ({ task }) => {
    server = await startTestServer({ SK_CONNECT_TIMEOUT_MS: '1000', SK_MQTT_MAX_PENDING_PER_ADDRESS: '1000' });
    const device = await server.provision({ id: 'fridge-1' });
    const client = await connectDevice(server.mqttUrl, device.id, device.secret);
    clients.push(client);
    const watch = new MemoryWatch();
    const SILENT = 300;
    const conns = await silentSockets(SILENT, '127.0.0.2');
    // While they hang, the device is served as usual.
    await deviceWorks(client, device.id, 1);
    await Promise.all(conns.map((c) => c.closed));
    const memory = watch.stop();
    expect(conns.every((c) => c.received().length === 0)).toBe(true);
    await expect.poll(() => server.broker.admission.pendingConnections).toBe(0);
    expect(client.connected).toBe(true);
    await deviceWorks(client, device.id, 2);
    console.log(`[faults] ${SILENT} silent sockets: ${JSON.stringify(memory)}`);
    recordFigures(task, { faultsInjected: SILENT, ...memory });
  });
});

describe('fault 5: connect floods', () => {
  it('turns away connections over the per-address pending limit at accept, and connected devices are not starved', async ({ task }) => {
    server = await startTestServer({ SK_CONNECT_TIMEOUT_MS: '120000', SK_MQTT_MAX_PENDING_PER_ADDRESS: '20' });
    const device = await server.provision({ id: 'fridge-1' });
    const client = await connectDevice(server.mqttUrl, device.id, device.secret);
    clients.push(client);
    const FLOOD = 200;
    const conns = await silentSockets(FLOOD, '127.0.0.3');
    // The first 20 wait for their CONNECT; the other 180 were closed at once, long before any timeout.
    await Promise.all(conns.slice(20).map((c) => c.closed));
    expect(await closedCount('too_many_pending_from_address')).toBe(FLOOD - 20);
    expect(conns.slice(0, 20).every((c) => !c.socket.destroyed)).toBe(true);
    // The connected device publishes; a new device from another address connects.
    await deviceWorks(client, device.id, 1);
    const other = await server.provision({ id: 'fridge-2' });
    clients.push(await connectDevice(server.mqttUrl, other.id, other.secret));
    recordFigures(task, { faultsInjected: FLOOD });
  });

  it('caps unauthenticated connections in all, and admits again once they are gone', async () => {
    server = await startTestServer({ SK_CONNECT_TIMEOUT_MS: '120000', SK_MQTT_MAX_PENDING: '30' });
    const device = await server.provision({ id: 'fridge-1' });
    const hangers = (await Promise.all(['127.0.0.4', '127.0.0.5', '127.0.0.6'].map((a) => silentSockets(15, a)))).flat();
    await expect.poll(() => closedCount('too_many_pending')).toBe(15);
    expect(hangers.filter((c) => c.socket.destroyed)).toHaveLength(15);
    // Full: even a real device is turned away (it retries, as devices do) until the hangers-on are gone.
    const turnedAway = await rawConnect(server.mqttUrl);
    turnedAway.socket.write(connectPacket({ clientId: device.id, username: device.id, password: device.secret }));
    await turnedAway.closed;
    expect(turnedAway.received()).toEqual(Buffer.alloc(0));
    for (const conn of hangers) conn.socket.destroy();
    await expect.poll(() => server.broker.admission.pendingConnections).toBe(0);
    clients.push(await connectDevice(server.mqttUrl, device.id, device.secret));
  });
});

describe('fault 5: wrong and revoked credentials, brute force', () => {
  /** One login attempt over raw bytes from `localAddress`; the CONNACK return code, or 'closed' when turned away unanswered. */
  async function attempt(localAddress: string, id: string, password: string): Promise<number | 'closed'> {
    const conn = await rawConnect(server.mqttUrl, localAddress);
    conn.socket.write(connectPacket({ clientId: id, username: id, password }));
    const answer = await conn.bytes(4);
    conn.socket.destroy();
    return answer.length >= 4 ? answer[3]! : 'closed';
  }

  it('refuses one device with a wrong secret after repeated failures, while a neighbour behind the same address keeps connecting', async ({ task }) => {
    server = await startTestServer({ SK_MQTT_LOGIN_FAILURE_LIMIT: '5', SK_MQTT_BAN_S: '600' });
    const stale = await server.provision({ id: 'fridge-1' });
    const neighbour = await server.provision({ id: 'freezer-1' });
    // One kitchen NAT (or carrier-grade NAT) address: a device with a stale secret retries, its neighbour reconnects in between.
    const codes: (number | 'closed')[] = [];
    for (let i = 0; i < 8; i++) {
      codes.push(await attempt('127.0.0.7', stale.id, `stale-secret-${i}`));
      expect(await attempt('127.0.0.7', neighbour.id, neighbour.secret)).toBe(0);
    }
    // Five refusals with "bad user name or password"; from then on that device id is refused from there (CONNACK 5, not authorized).
    expect(codes).toEqual([4, 4, 4, 4, 4, 5, 5, 5]);
    // Even the right secret is refused for that id from that address while the ban lasts: no guessing goes on.
    expect(await attempt('127.0.0.7', stale.id, stale.secret)).toBe(5);
    const bans = await server.metrics.registry.getSingleMetric('sk_mqtt_address_bans_total')!.get();
    expect(bans.values[0]?.value ?? 0).toBe(0);
    // The device from another address is not affected.
    clients.push(await connectDevice(server.mqttUrl, stale.id, stale.secret));
    recordFigures(task, { faultsInjected: 9, badInputs: 8 });
  });

  it('bans the whole address when failed logins span many device ids (credential stuffing), while devices from other addresses log in', async ({ task }) => {
    server = await startTestServer({ SK_MQTT_LOGIN_FAILURE_LIMIT: '5', SK_MQTT_BAN_DISTINCT_IDS: '10', SK_MQTT_BAN_S: '600' });
    const victim = await server.provision({ id: 'fridge-1' });
    const codes: (number | 'closed')[] = [];
    // One guess each at 12 ids, as a stuffing list would try them.
    for (let i = 0; i < 12; i++) codes.push(await attempt('127.0.0.9', `fridge-${i}`, `guess-${i}`));
    expect(codes).toEqual([...Array<number>(10).fill(4), 'closed', 'closed']);
    // From then on the address is turned away at accept, even with a right secret.
    expect(await attempt('127.0.0.9', victim.id, victim.secret)).toBe('closed');
    expect(await closedCount('address_banned')).toBe(3);
    const bans = await server.metrics.registry.getSingleMetric('sk_mqtt_address_bans_total')!.get();
    expect(bans.values[0]?.value).toBe(1);
    clients.push(await connectDevice(server.mqttUrl, victim.id, victim.secret));
    recordFigures(task, { faultsInjected: 13, badInputs: 12 });
  });

  it('refuses revoked devices without banning their address (other devices behind the same NAT keep working)', async () => {
    server = await startTestServer({ SK_MQTT_LOGIN_FAILURE_LIMIT: '3' });
    const revoked = await server.provision({ id: 'old-fridge' });
    const neighbour = await server.provision({ id: 'new-fridge' });
    await server.store.registry.revokeDevice(revoked.id, Date.now());
    for (let i = 0; i < 6; i++) expect(await attempt('127.0.0.8', revoked.id, revoked.secret)).toBe(5);
    expect(await attempt('127.0.0.8', neighbour.id, neighbour.secret)).toBe(0);
  });

  it('forgets the oldest addresses and device ids first, so a spray from many addresses or over many ids cannot grow memory', async () => {
    server = await startTestServer({ SK_MQTT_LOGIN_FAILURE_LIMIT: '3' });
    const guard = server.broker.admission;
    for (let i = 0; i < 25_000; i++) guard.failed(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'fridge-1');
    expect(guard.trackedAddresses).toBe(10_000);
    for (let i = 0; i < 25_000; i++) guard.failed('10.99.0.1', `fridge-${i}`);
    expect(guard.trackedLogins).toBe(10_000);
  });
});
