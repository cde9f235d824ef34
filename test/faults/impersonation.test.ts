import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '../../contracts/index.js';
import { recordFigures } from '../helpers/figures.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault item 6: a device (or someone holding one device's secret) trying to be
 * another device. Publishing and subscribing outside a device's own topics are
 * covered in test/broker/device-access.test.ts; here: taking over a session.
 */
let server: TestServer;
let victim: { id: string; secret: string };
let intruder: { id: string; secret: string };
let rightful: MqttClient;
const clients: MqttClient[] = [];

beforeEach(async () => {
  server = await startTestServer();
  victim = await server.provision({ id: 'fridge-victim' });
  intruder = await server.provision({ id: 'fridge-intruder' });
  rightful = await connectDevice(server.mqttUrl, victim.id, victim.secret);
  clients.push(rightful);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await server.stop();
});

/** The rightful device is still connected and its readings are still stored. */
async function rightfulUnharmed(seq: number): Promise<void> {
  expect(rightful.connected).toBe(true);
  await rightful.publishAsync(deviceTopic(victim.id, 'telemetry'), reading(seq), { qos: 1 });
  expect(await server.store.telemetry.count(victim.id)).toBe(seq);
  expect(server.broker.connectedDevices).toBe(1);
}

describe("fault 6: another device's client id", () => {
  it("refuses a device logging in with its own secret under another device's client id (CONNACK 2)", async () => {
    await expect(connectDevice(server.mqttUrl, intruder.id, intruder.secret, { clientId: victim.id })).rejects.toMatchObject({ code: 2 });
    await rightfulUnharmed(1);
  });

  it("refuses the victim's id with a wrong or another device's secret (CONNACK 4), and the session is not taken over", async ({ task }) => {
    await expect(connectDevice(server.mqttUrl, victim.id, intruder.secret)).rejects.toMatchObject({ code: 4 });
    await expect(connectDevice(server.mqttUrl, victim.id, 'guessed')).rejects.toMatchObject({ code: 4 });
    await rightfulUnharmed(1);
    recordFigures(task, { faultsInjected: 3, badInputs: 3 });
  });

  it('stores nothing the intruder publishes under its own id to the victim topic, and the victim stays connected', async () => {
    const client = await connectDevice(server.mqttUrl, intruder.id, intruder.secret);
    clients.push(client);
    const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(deviceTopic(victim.id, 'telemetry-batch'), JSON.stringify({ boot: 'x', readings: [{ ts: Date.now(), seq: 99, temperatureC: 40 }] }), { qos: 1 });
    await gone;
    expect(await server.store.telemetry.count()).toBe(0);
    await rightfulUnharmed(1);
  });

  it('lets the rightful device take its own session over (a reboot) with its secret', async () => {
    const again = await connectDevice(server.mqttUrl, victim.id, victim.secret);
    clients.push(again);
    await again.publishAsync(deviceTopic(victim.id, 'telemetry'), reading(1), { qos: 1 });
    expect(await server.store.telemetry.count(victim.id)).toBe(1);
    expect(server.broker.connectedDevices).toBe(1);
  });
});
