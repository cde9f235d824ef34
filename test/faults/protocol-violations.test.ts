import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { recordFigures } from '../helpers/figures.js';
import { connectPacket, mqttPacket, mqttString, publishPacket, subscribePacket } from '../helpers/mqtt-bytes.js';
import { rawConnect, type RawConnection } from '../helpers/raw-socket.js';
import { reading, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault item 4: protocol violations by a device that has logged in properly.
 * MQTT 3.1.1 answers each with closing the network connection; nothing the
 * offending packet carried may be stored.
 */
let server: TestServer;
let device: { id: string; secret: string };
beforeEach(async () => {
  server = await startTestServer({ SK_CONNECT_TIMEOUT_MS: '120000' });
  device = await server.provision({ id: 'fridge-1' });
});
afterEach(async () => {
  await server.stop();
});

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

async function loggedIn(): Promise<RawConnection> {
  const conn = await rawConnect(server.mqttUrl);
  conn.socket.write(connectPacket({ clientId: device.id, username: device.id, password: device.secret }));
  expect((await conn.bytes(4)).subarray(0, 4)).toEqual(CONNACK_OK);
  return conn;
}

const topic = () => deviceTopic(device.id, 'telemetry');
const good = () => reading(1);

/** [clause, what is wrong, the offending packet] — each sent after a successful CONNECT. */
const VIOLATIONS: [string, string, () => Buffer][] = [
  ['MQTT-3.1.0-2', 'a second CONNECT', () => connectPacket({ clientId: device.id, username: device.id, password: device.secret })],
  ['MQTT-3.3.1-4', 'a PUBLISH with QoS 3', () => publishPacket({ topic: topic(), payload: good(), qos: 3, id: 7 })],
  ['MQTT-3.3.2-2', 'a wildcard # in a PUBLISH topic', () => publishPacket({ topic: `sk/v1/devices/${device.id}/#`, payload: good(), qos: 1, id: 7 })],
  ['MQTT-3.3.2-2', 'a wildcard + in a PUBLISH topic', () => publishPacket({ topic: `sk/v1/devices/+/telemetry`, payload: good(), qos: 1, id: 7 })],
  ['MQTT-1.5.3-1', 'invalid UTF-8 in a PUBLISH topic', () => publishPacket({ topic: Buffer.concat([Buffer.from(topic()), Buffer.from([0xc3, 0x28])]), payload: good(), qos: 1, id: 7 })],
  ['MQTT-1.5.3-2', 'U+0000 in a PUBLISH topic', () => publishPacket({ topic: `${topic()}\u0000`, payload: good(), qos: 1, id: 7 })],
  ['MQTT-2.3.1-1', 'a QoS 1 PUBLISH with packet id 0', () => publishPacket({ topic: topic(), payload: good(), qos: 1, id: 0 })],
  ['MQTT-3.8.1-1', 'a SUBSCRIBE with reserved flags 0000', () => subscribePacket(deviceTopic(device.id, 'commands'), 1, 1, 0x80)],
  ['MQTT-3.8.3-4', 'a SUBSCRIBE asking for QoS 3', () => subscribePacket(deviceTopic(device.id, 'commands'), 3)],
  ['MQTT-3.8.3-3', 'a SUBSCRIBE without any topic', () => mqttPacket(0x82, Buffer.from([0, 1]))],
  ['MQTT-1.5.3-2', 'U+0000 in a SUBSCRIBE topic filter', () => subscribePacket(`${deviceTopic(device.id, 'commands')}\u0000`)],
  ['MQTT-3.6.1-1', 'a PUBREL with reserved flags 0000', () => mqttPacket(0x60, Buffer.from([0, 1]))],
  ['MQTT-2.2.2-2', 'a PINGREQ with a flag set', () => Buffer.from([0xc1, 0x00])],
  ['MQTT-3.14.1-1', 'a DISCONNECT with a flag set', () => Buffer.from([0xe2, 0x00])],
  ['MQTT-2.2', 'a reserved packet type (15)', () => mqttPacket(0xf0, Buffer.from([0, 1]))],
];

describe('fault 4: protocol violations after CONNECT close the connection', () => {
  it.each(VIOLATIONS)('[%s] %s', async (_clause, _what, packet) => {
    const conn = await loggedIn();
    conn.socket.write(packet());
    await conn.closed;
    // Whatever the offending packet carried was not stored, and no PUBACK was sent for it.
    expect(await server.store.telemetry.count(device.id)).toBe(0);
    expect(conn.received().subarray(4).includes(0x40)).toBe(false);
    // The device reconnects and is served as usual.
    const again = await loggedIn();
    again.socket.write(publishPacket({ topic: topic(), payload: reading(2), qos: 1, id: 9 }));
    expect((await again.bytes(8)).subarray(4, 8)).toEqual(Buffer.from([0x40, 0x02, 0x00, 0x09]));
    again.socket.destroy();
    expect(await server.store.telemetry.count(device.id)).toBe(1);
  });

  it('records how many violations the suite tried', ({ task }) => {
    recordFigures(task, { faultsInjected: VIOLATIONS.length, badInputs: VIOLATIONS.length });
  });
});

describe('fault 4: CONNECT rules', () => {
  it('[MQTT-3.1.2-3] closes a CONNECT whose reserved flag is set, without CONNACK', async () => {
    const conn = await rawConnect(server.mqttUrl);
    // user name + password + clean session + the reserved bit 0.
    conn.socket.write(connectPacket({ clientId: device.id, username: device.id, password: device.secret, flags: 0xc3 }));
    await conn.closed;
    expect(conn.received().includes(CONNACK_OK)).toBe(false);
    expect(server.broker.connectedDevices).toBe(0);
  });

  it('[MQTT-3.1.3-8] refuses an empty client id with a persistent session (CONNACK 2) and closes', async () => {
    const conn = await rawConnect(server.mqttUrl);
    conn.socket.write(connectPacket({ clientId: '', username: device.id, password: device.secret, cleanSession: false }));
    await conn.closed;
    expect(conn.received().subarray(0, 4)).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x02]));
    expect(server.broker.connectedDevices).toBe(0);
  });

  it('refuses an empty client id with a clean session too: the client id must be the device id', async () => {
    const conn = await rawConnect(server.mqttUrl);
    conn.socket.write(connectPacket({ clientId: '', username: device.id, password: device.secret }));
    await conn.closed;
    const answer = conn.received();
    expect(answer.subarray(0, 3)).toEqual(Buffer.from([0x20, 0x02, 0x00]));
    expect(answer[3]).not.toBe(0);
  });
});

describe('fault 4: a publish without the right to it', () => {
  it('closes a connection publishing outside its topics with QoS 0 as with QoS 1, storing nothing', async () => {
    const conn = await loggedIn();
    conn.socket.write(publishPacket({ topic: 'sk/v1/devices/other/telemetry', payload: mqttString('x') }));
    await conn.closed;
    expect(await server.store.telemetry.count()).toBe(0);
  });
});
