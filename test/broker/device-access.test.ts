import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '../../contracts/index.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
const clients: MqttClient[] = [];
const connect = async (...args: Parameters<typeof connectDevice>) => {
  const client = await connectDevice(...args);
  clients.push(client);
  return client;
};

beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await server.stop();
});

const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

describe('device access over real MQTT', () => {
  it('refuses a wrong password with CONNACK "bad username or password"', async () => {
    const device = await server.provision();
    const error = await connectDevice(server.mqttUrl, device.id, 'not-the-secret').catch((e: { code?: number }) => e);
    expect(error).toMatchObject({ code: 4 });
    expect(server.broker.connectedDevices).toBe(0);
  });

  it('refuses an unknown device and a client id that is not the device id', async () => {
    const device = await server.provision();
    await expect(connectDevice(server.mqttUrl, 'ghost', device.secret)).rejects.toMatchObject({ code: 4 });
    await expect(connectDevice(server.mqttUrl, device.id, device.secret, { clientId: 'someone-else' })).rejects.toMatchObject({ code: 2 });
  });

  it('refuses a revoked device', async () => {
    const device = await server.provision();
    await server.store.registry.revokeDevice(device.id, Date.now());
    await expect(connectDevice(server.mqttUrl, device.id, device.secret)).rejects.toMatchObject({ code: 5 });
  });

  it('stores a reading published with QoS 1 before PUBACK', async () => {
    const device = await server.provision();
    const client = await connect(server.mqttUrl, device.id, device.secret);
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(1, { temperatureC: 3.5, doorOpen: false }), { qos: 1 });
    // PUBACK has arrived: the reading must already be in the SQLite file.
    const [latest] = await server.store.telemetry.latest([{ id: device.id, kind: 'temperature' }]);
    expect(latest?.values).toEqual({ temperatureC: 3.5, doorOpen: false });
  });

  it('stores nothing when a device publishes to another device\'s topic, and closes that connection', async () => {
    const a = await server.provision({ id: 'fridge-a' });
    const b = await server.provision({ id: 'fridge-b' });
    const intruder = await connect(server.mqttUrl, a.id, a.secret);
    const victim = await connect(server.mqttUrl, b.id, b.secret);
    const gone = closed(intruder);
    intruder.publish(deviceTopic(b.id, 'telemetry'), reading(1, { temperatureC: 30 }), { qos: 1 });
    await gone;
    expect(await server.store.telemetry.count(b.id)).toBe(0);
    expect(await server.store.telemetry.count(a.id)).toBe(0);
    expect(victim.connected).toBe(true);
  });

  it('refuses subscriptions to anything but the device\'s own command topic', async () => {
    const a = await server.provision({ id: 'fridge-a' });
    const client = await connect(server.mqttUrl, a.id, a.secret);
    const grant = (topic: string) =>
      client.subscribeAsync(topic, { qos: 1 }).then(
        (granted) => granted[0]?.qos,
        // mqtt.js rejects a SUBACK with a failure code; the packet carries it.
        (error: { packet?: { granted?: number[] } }) => error.packet?.granted?.[0],
      );
    expect(await grant(deviceTopic(a.id, 'commands'))).toBe(1);
    for (const topic of ['sk/v1/devices/+/telemetry', deviceTopic('fridge-b', 'commands'), '$SYS/#', '#']) {
      expect(await grant(topic)).toBe(128);
    }
    expect(client.connected).toBe(true);
  });

  it('routes nothing a device publishes (ingest consumes it), and still routes the server\'s commands to their device', async () => {
    const device = await server.provision();
    const client = await connect(server.mqttUrl, device.id, device.secret);
    await client.subscribeAsync(deviceTopic(device.id, 'commands'), { qos: 1 });
    // A subscriber inside the server sees every topic: the hooks' ACLs do not apply to it.
    const routed: string[] = [];
    await new Promise<void>((resolve) =>
      server.broker.aedes.subscribe('sk/#', (packet: { topic: string }, done: () => void) => {
        routed.push(packet.topic);
        done();
      }, resolve),
    );
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(1, { temperatureC: 3.5 }), { qos: 1 });
    await client.publishAsync(deviceTopic(device.id, 'status'), JSON.stringify({ online: true }), { qos: 1, retain: true });
    const command = new Promise<string>((resolve) => client.once('message', (topic) => resolve(topic)));
    server.broker.aedes.publish({ cmd: 'publish', topic: deviceTopic(device.id, 'commands'), payload: Buffer.from('{}'), qos: 1, retain: false, dup: false }, () => undefined);
    expect(await command).toBe(deviceTopic(device.id, 'commands'));
    expect(await server.store.telemetry.count(device.id)).toBe(1);
    expect(routed).toEqual([deviceTopic(device.id, 'commands')]);
  });

  it('stores a QoS 1 message resent with the same boot and seq only once', async () => {
    const device = await server.provision();
    const client = await connect(server.mqttUrl, device.id, device.secret);
    const payload = reading(7, { temperatureC: 5.1 });
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), payload, { qos: 1 });
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), payload, { qos: 1, dup: true });
    expect(await server.store.telemetry.count(device.id)).toBe(1);
  });

  it('keeps an invalid payload in the quarantine, acknowledges it, and keeps the device connected', async () => {
    const device = await server.provision();
    const client = await connect(server.mqttUrl, device.id, device.secret);
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(1, { temperatureC: 9999 }), { qos: 1 });
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), '{not json', { qos: 1 });
    const entries = await server.store.quarantine.list({ deviceId: device.id, limit: 10 });
    expect(entries.map((e) => e.reason).sort()).toEqual(['invalid_payload', 'not_json']);
    expect(entries.find((e) => e.reason === 'invalid_payload')?.detail).toContain('temperatureC');
    expect(client.connected).toBe(true);
    expect(await server.store.telemetry.count(device.id)).toBe(0);
    // And a good reading afterwards is stored as usual.
    await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(2), { qos: 1 });
    expect(await server.store.telemetry.count(device.id)).toBe(1);
  });

  it('marks a device online when it connects and offline when its connection drops', async () => {
    const device = await server.provision();
    const presence = (online: boolean) =>
      new Promise<void>((resolve) =>
        server.ingest.on('device:presence', (c) => {
          if (c.deviceId === device.id && c.online === online) resolve();
        }),
      );
    const online = presence(true);
    const client = await connect(server.mqttUrl, device.id, device.secret, {
      will: { topic: deviceTopic(device.id, 'status'), payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true },
    });
    await online;
    expect((await server.store.registry.getDevice(device.id))?.online).toBe(true);
    const offline = presence(false);
    (client as unknown as { stream: { destroy(): void } }).stream.destroy();
    await offline;
    expect((await server.store.registry.getDevice(device.id))?.online).toBe(false);
  });
});
