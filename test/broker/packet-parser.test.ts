import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';

/**
 * mqtt-packet's parser as installed: patched (patches/mqtt-packet+9.0.2.patch,
 * applied by `npm install`'s postinstall) to buffer a connection's bytes in a
 * plain BufferList instead of a Duplex stream per connection (bench/README.md,
 * "Fourteenth pass": 0.9 KiB per idle device), and to keep of the CONNECT only
 * the protocol version it parses by, not the packet with the device's password
 * ("Fifteenth pass"). aedes and mqtt.js parse with it.
 */
describe('the MQTT packet parser', () => {
  const topic = (id: number) => deviceTopic(`fridge-${id}`, 'telemetry');
  const publish = (id: number) => mqttPacket.generate({ cmd: 'publish', topic: topic(id), payload: Buffer.from(`{"n":${id}}`), qos: 1, messageId: id, retain: false, dup: false });

  it('keeps its bytes in a plain list, not a stream (the patch is applied)', () => {
    const parser = mqttPacket.parser({ protocolVersion: 4 }) as unknown as { _list: Record<string, unknown> };
    expect(typeof parser._list.append).toBe('function');
    expect(parser._list.pipe).toBeUndefined();
    expect(parser._list.on).toBeUndefined();
  });

  it('keeps the protocol version of a CONNECT, not the packet with its password, and parses the next packets by it', () => {
    const parser = mqttPacket.parser();
    const seen: mqttPacket.Packet[] = [];
    parser.on('packet', (packet) => seen.push(packet));
    const password = Buffer.from('device-secret-42');
    parser.parse(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'fridge-1', username: 'fridge-1', password, clean: true, keepalive: 60 }));
    const properties = { userProperties: { boot: 'b1' } };
    parser.parse(mqttPacket.generate({ cmd: 'publish', topic: topic(1), payload: Buffer.from('{}'), qos: 1, messageId: 7, retain: false, dup: false, properties }, { protocolVersion: 5 }));
    expect(seen.map((p) => p.cmd)).toEqual(['connect', 'publish']);
    expect((seen[0] as mqttPacket.IConnectPacket).password).toEqual(password);
    // Version 5 properties are only read from a version 5 connection.
    expect((seen[1] as mqttPacket.IPublishPacket).properties).toEqual(properties);
    const held = (parser as unknown as { settings: Record<string, unknown> }).settings;
    expect(Object.values(held).some((v) => Buffer.isBuffer(v))).toBe(false);
    expect(held).toEqual({ protocolVersion: 5 }); // toEqual skips bridgeMode: undefined
  });

  it('still parses packets split across reads and packets sharing one read', () => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const seen: { id: number | undefined; topic: string; payload: string }[] = [];
    parser.on('packet', (packet) => {
      if (packet.cmd === 'publish') seen.push({ id: packet.messageId, topic: packet.topic, payload: packet.payload.toString() });
    });
    const errors: Error[] = [];
    parser.on('error', (error) => errors.push(error));
    const first = publish(1);
    for (const byte of first) parser.parse(Buffer.from([byte]));
    parser.parse(Buffer.concat([publish(2), publish(3).subarray(0, 5)]));
    parser.parse(publish(3).subarray(5));
    expect(errors).toEqual([]);
    expect(seen).toEqual([1, 2, 3].map((id) => ({ id, topic: topic(id), payload: `{"n":${id}}` })));
  });
});
