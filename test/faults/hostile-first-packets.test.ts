import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import { MemoryWatch, recordFigures } from '../helpers/figures.js';
import { connectPacket, mqttPacket, mqttString, publishPacket, remainingLength } from '../helpers/mqtt-bytes.js';
import { rawConnect } from '../helpers/raw-socket.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault items 1 and 2: raw garbage, every packet type as the first packet, and
 * declared lengths of hundreds of MiB. The connect timeout is set to its maximum
 * so that every close seen here is the broker's answer to the bytes, not the
 * timeout.
 */
let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ SK_CONNECT_TIMEOUT_MS: '120000' });
});
afterEach(async () => {
  await server.stop();
});

/** A device publishes and gets its reading stored: the broker still serves the well-behaved. */
async function stillServes(seq: number): Promise<void> {
  const device = await server.provision({ id: `good-${seq}` });
  const client = await connectDevice(server.mqttUrl, device.id, device.secret);
  await client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(seq), { qos: 1 });
  await client.endAsync();
  expect(await server.store.telemetry.count(device.id)).toBe(1);
}

const body = Buffer.from([0x00, 0x01, 0x00, 0x00]);
/** Every control packet type but CONNECT, each with the fixed-header flags §2.2.2 requires, as the first packet [MQTT-3.1.0-1]. */
const NOT_CONNECT: [string, Buffer][] = [
  ['reserved type 0', mqttPacket(0x00, body)],
  ['CONNACK', mqttPacket(0x20, Buffer.from([0, 0]))],
  ['PUBLISH QoS 0', publishPacket({ topic: 'sk/v1/devices/x/telemetry', payload: '{}' })],
  ['PUBLISH QoS 1', publishPacket({ topic: 'sk/v1/devices/x/telemetry', payload: '{}', qos: 1 })],
  ['PUBACK', mqttPacket(0x40, Buffer.from([0, 1]))],
  ['PUBREC', mqttPacket(0x50, Buffer.from([0, 1]))],
  ['PUBREL', mqttPacket(0x62, Buffer.from([0, 1]))],
  ['PUBCOMP', mqttPacket(0x70, Buffer.from([0, 1]))],
  ['SUBSCRIBE', mqttPacket(0x82, Buffer.from([0, 1]), mqttString('#'), Buffer.from([1]))],
  ['SUBACK', mqttPacket(0x90, Buffer.from([0, 1, 0]))],
  ['UNSUBSCRIBE', mqttPacket(0xa2, Buffer.from([0, 1]), mqttString('#'))],
  ['UNSUBACK', mqttPacket(0xb0, Buffer.from([0, 1]))],
  ['PINGREQ', Buffer.from([0xc0, 0x00])],
  ['PINGRESP', Buffer.from([0xd0, 0x00])],
  ['DISCONNECT', Buffer.from([0xe0, 0x00])],
  ['reserved type 15', mqttPacket(0xf0, body)],
];

describe('fault 1: wrong first packets and garbage', () => {
  it.each(NOT_CONNECT)('closes a connection whose first packet is %s, answering nothing', async (_name, packet) => {
    const conn = await rawConnect(server.mqttUrl);
    conn.socket.write(packet);
    await conn.closed;
    expect(conn.received()).toEqual(Buffer.alloc(0));
    expect(server.broker.connectedDevices).toBe(0);
  });

  const BAD_CONNECTS: [string, Buffer][] = [
    ['an unknown protocol name', mqttPacket(0x10, mqttString('HTTP'), Buffer.from([4, 0x02, 0, 30]), mqttString('x'))],
    ['a truncated body', mqttPacket(0x10, mqttString('MQTT'), Buffer.from([4]))],
    ['protocol level 9', connectPacket({ clientId: 'x', protocolLevel: 9 })],
    ['a password without a user name', mqttPacket(0x10, mqttString('MQTT'), Buffer.from([4, 0x42, 0, 30]), mqttString('x'), mqttString('secret'))],
  ];
  it.each(BAD_CONNECTS)('closes a connection whose CONNECT has %s, and authenticates nobody', async (_name, packet) => {
    const conn = await rawConnect(server.mqttUrl);
    conn.socket.write(packet);
    await conn.closed;
    // At most a refusing CONNACK (return code ≠ 0) may come back [MQTT-3.2.2-5].
    const answer = conn.received();
    if (answer.length > 0) {
      expect(answer.subarray(0, 2)).toEqual(Buffer.from([0x20, 0x02]));
      expect(answer[3]).not.toBe(0);
    }
    expect(server.broker.connectedDevices).toBe(0);
  });

  it('survives random garbage as the first bytes, and still serves a device afterwards', async ({ task }) => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        runs++;
        const conn = await rawConnect(server.mqttUrl);
        conn.socket.end(Buffer.from(bytes));
        await conn.closed;
        // Garbage never earns an accepted CONNACK.
        expect(conn.received().subarray(0, 4)).not.toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]));
      }),
      { numRuns: 150, seed: 8 },
    );
    expect(server.broker.connectedDevices).toBe(0);
    await stillServes(1);
    recordFigures(task, { faultsInjected: runs, badInputs: runs });
  });
});

describe('fault 1–2: declared lengths of hundreds of MiB', () => {
  it('closes connections declaring 250 MiB at the header, before or after CONNECT, with the heap bounded', async ({ task }) => {
    const device = await server.provision({ id: 'big-talker' });
    const watch = new MemoryWatch();
    const SOCKETS = 20;
    // The largest Remaining Length MQTT can encode is 256 MiB − 1 [MQTT-2.2.3]; more takes a fifth byte (below).
    const declared = 250 * 1024 * 1024;
    // Each hostile client keeps streaming body bytes as fast as the socket takes them: 8 MiB each if nobody stops it.
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const attacks = Array.from({ length: SOCKETS }, async (_, i) => {
      const conn = await rawConnect(server.mqttUrl);
      // Half of them first log in properly, so the oversized packet comes after CONNECT (fault 2).
      if (i % 2 === 1) {
        conn.socket.write(connectPacket({ clientId: device.id, username: device.id, password: device.secret }));
        await conn.bytes(4);
      }
      conn.socket.write(Buffer.from([i % 2 === 1 ? 0x30 : 0x10, ...remainingLength(declared)]));
      let sent = 0;
      while (!conn.socket.destroyed && sent < 8 * 1024 * 1024) {
        const flushed = conn.socket.write(chunk);
        sent += chunk.length;
        if (!flushed) await Promise.race([new Promise((r) => conn.socket.once('drain', r)), conn.closed]);
      }
      // Still open after 8 MiB: the broker let the body in. Hang up, and count it as not closed.
      const closedByBroker = conn.socket.destroyed;
      conn.socket.destroy();
      return { closedByBroker };
    });
    const outcomes = await Promise.all(attacks);
    const memory = watch.stop();
    expect(outcomes.filter((o) => o.closedByBroker)).toHaveLength(SOCKETS);
    // 20 × 250 MiB declared, up to 160 MiB streamed: the guard closed each at its header, so memory hardly moved.
    expect(memory.heapGrowthMiB).toBeLessThan(40);
    const closed = await server.metrics.registry.getSingleMetric('sk_mqtt_connections_closed_total')!.get();
    expect(closed.values.find((v) => v.labels.reason === 'packet_too_large')?.value).toBe(SOCKETS);
    await stillServes(2);
    console.log(`[faults] 250 MiB headers: ${JSON.stringify(memory)}`);
    recordFigures(task, { faultsInjected: SOCKETS, badInputs: SOCKETS, ...memory });
  });
  it('closes a connection whose Remaining Length runs past four bytes (a length beyond 256 MiB)', async () => {
    const conn = await rawConnect(server.mqttUrl);
    conn.socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    await conn.closed;
    const closed = await server.metrics.registry.getSingleMetric('sk_mqtt_connections_closed_total')!.get();
    expect(closed.values.find((v) => v.labels.reason === 'malformed_length')?.value).toBe(1);
  });
});
