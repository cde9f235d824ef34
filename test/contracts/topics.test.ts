import { describe, expect, it } from 'vitest';
import { DOWNLINK_CHANNELS, UPLINK_CHANNELS, deviceTopic, isUplinkChannel, parseDeviceTopic, type Channel } from '../../contracts/index.js';

const CHANNELS: Channel[] = [...UPLINK_CHANNELS, ...DOWNLINK_CHANNELS];
const GOOD_IDS = ['fridge-1', 'A', '0', 'cam.01_b-2', 'x'.repeat(64)];

describe('device topics', () => {
  it.each(CHANNELS)('round-trips %s for every valid id shape', (channel) => {
    for (const deviceId of GOOD_IDS) {
      const topic = deviceTopic(deviceId, channel);
      expect(parseDeviceTopic(topic)).toEqual({ deviceId, channel });
    }
  });

  it('gives each device and channel its own topic', () => {
    const topics = GOOD_IDS.flatMap((id) => CHANNELS.map((c) => deviceTopic(id, c)));
    expect(new Set(topics).size).toBe(topics.length);
  });

  it('tells uplink from downlink channels', () => {
    for (const c of UPLINK_CHANNELS) expect(isUplinkChannel(c)).toBe(true);
    for (const c of DOWNLINK_CHANNELS) expect(isUplinkChannel(c)).toBe(false);
  });

  it('refuses to build a topic for an invalid device id', () => {
    for (const bad of ['', '+', '#', 'a/b', '$SYS', '-lead', '.lead', '_lead', 'x'.repeat(65), 'sp ace', 'ü', 'a+b', 'a#']) {
      expect(() => deviceTopic(bad, 'telemetry'), JSON.stringify(bad)).toThrow(RangeError);
    }
  });

  it('parses nothing but a concrete device topic', () => {
    const good = deviceTopic('fridge-1', 'telemetry');
    const rejected = [
      // wildcards, in any position
      'sk/v1/devices/+/telemetry',
      'sk/v1/devices/#',
      'sk/v1/devices/fridge-1/#',
      'sk/v1/devices/fridge-1/+',
      'sk/v1/+/fridge-1/telemetry',
      '#',
      // broker topics and other roots
      '$SYS/broker/clients',
      '$SYS/sk/v1/devices/fridge-1/telemetry',
      'sk/v2/devices/fridge-1/telemetry',
      '/sk/v1/devices/fridge-1/telemetry',
      'SK/v1/devices/fridge-1/telemetry',
      // extra or missing levels
      `${good}/extra`,
      `${good}/`,
      'sk/v1/devices/fridge-1',
      'sk/v1/devices/',
      'sk/v1/devices//telemetry',
      'sk/v1/devices',
      '',
      // bad ids
      'sk/v1/devices/$dev/telemetry',
      'sk/v1/devices/-dev/telemetry',
      `sk/v1/devices/${'x'.repeat(65)}/telemetry`,
      'sk/v1/devices/de v/telemetry',
      // unknown channels
      'sk/v1/devices/fridge-1/telemetry-batches',
      'sk/v1/devices/fridge-1/Telemetry',
      'sk/v1/devices/fridge-1/config',
      'sk/v1/devices/fridge-1/',
    ];
    for (const topic of rejected) expect(parseDeviceTopic(topic), topic).toBeUndefined();
  });
});
