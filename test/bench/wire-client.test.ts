import { Aedes } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublish, WireClient } from '../../bench/wire-client.js';
import { deviceTopic } from '../../contracts/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Parses bytes with mqtt-packet (the parser aedes uses) and returns every packet in them. */
function parse(bytes: Buffer): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  parser.on('error', (error) => {
    throw error;
  });
  parser.parse(bytes);
  return packets;
}

/**
 * The bench's lean MQTT client (bench/wire-client.ts): every figure the bench
 * reports goes through it, so it must speak MQTT as a broker reads it.
 */
describe('bench wire client', () => {
  it('encodes a QoS 1 PUBLISH that mqtt-packet parses back, at every remaining-length size', () => {
    const topic = Buffer.from('sk/v1/dev-1/telemetry');
    // 1-, 2- and 3-byte remaining lengths, and a payload with multi-byte characters.
    for (const payload of ['{"t":1}', 'x'.repeat(200), 'y'.repeat(20_000), '{"label":"冷库 2 号"}']) {
      const [packet, ...rest] = parse(encodePublish(topic, 513, payload));
      expect(rest).toEqual([]);
      expect(packet).toMatchObject({ cmd: 'publish', qos: 1, dup: false, retain: false, messageId: 513, topic: 'sk/v1/dev-1/telemetry' });
      expect((packet as mqttPacket.IPublishPacket).payload.toString()).toBe(payload);
    }
  });

  describe('against the real server', () => {
    let server: TestServer;
    let device: { id: string; secret: string };
    beforeAll(async () => {
      server = await startTestServer();
      device = await server.provision();
    });
    afterAll(() => server.stop());

    it('connects with a device credential, and each PUBACK names its PUBLISH once the reading is stored', async () => {
      const client = await WireClient.connect(server.mqttUrl, { clientId: device.id, username: device.id, password: device.secret, keepaliveS: 60, connectTimeoutMs: 5_000 });
      const acked: number[] = [];
      const allAcked = new Promise<void>((resolve) => {
        client.onAck = (id) => {
          acked.push(id);
          if (acked.length === 3) resolve();
        };
      });
      const topic = Buffer.from(deviceTopic(device.id, 'telemetry'));
      const sent = [0, 1, 2].map((seq) => client.publish(topic, JSON.stringify({ ts: Date.now() - 1_000 + seq, seq, boot: 'wire-test', temperatureC: 3.5 + seq })));
      await allAcked;
      expect(acked.sort()).toEqual([...sent].sort());
      expect(new Set(sent).size).toBe(3);
      expect(await server.store.telemetry.count(device.id)).toBe(3);
      const [newest] = await server.store.telemetry.latest([{ id: device.id, kind: 'temperature' }]);
      expect(newest?.values.temperatureC).toBe(5.5);
      await client.end();
      expect(client.connected).toBe(false);
    });

    it('rejects with the CONNACK refusal when the secret is wrong', async () => {
      await expect(
        WireClient.connect(server.mqttUrl, { clientId: device.id, username: device.id, password: 'not-the-secret', keepaliveS: 60, connectTimeoutMs: 5_000 }),
      ).rejects.toThrow(/CONNACK refused: (bad user name or password|not authorized)/);
    });
  });

  describe('as a subscriber, against a plain aedes broker', () => {
    let broker: Aedes;
    let listener: Server;
    let url: string;
    beforeAll(async () => {
      broker = await Aedes.createBroker();
      listener = createServer((socket) => broker.handle(socket));
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      url = `mqtt://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    });

    it('receives what is published to its filter and acknowledges each QoS 1 delivery', async () => {
      let acks = 0;
      broker.on('ack', (_packet, client) => {
        if (client?.id === 'sub') acks++;
      });
      const subscriber = await WireClient.connect(url, { clientId: 'sub', keepaliveS: 60, connectTimeoutMs: 5_000 });
      await subscriber.subscribe('t/+/x', 1);
      const topics: string[] = [];
      const received = new Promise<void>((resolve) => {
        subscriber.onMessage = (topic) => {
          topics.push(topic.toString());
          if (topics.length === 50) resolve();
        };
      });
      const publisher = await WireClient.connect(url, { clientId: 'pub', keepaliveS: 60, connectTimeoutMs: 5_000 });
      for (let i = 0; i < 50; i++) publisher.publish(Buffer.from(`t/${i % 5}/x`), `m${i}`);
      publisher.publish(Buffer.from('t/0/other'), 'not for the subscriber');
      await received;
      expect(topics.filter((t) => t === 't/3/x')).toHaveLength(10);
      // Every delivery was acknowledged: aedes reports each PUBACK of a QoS 1 delivery as an `ack`.
      await expect.poll(() => acks).toBe(50);
      await Promise.all([subscriber.end(), publisher.end()]);
    });
  });
});
