import { ID_PATTERN, type DeviceId } from './ids.js';

/**
 * The MQTT topic scheme. No other module writes a topic string: build topics with
 * {@link deviceTopic} and read them with {@link parseDeviceTopic}.
 *
 *   sk/v1/devices/{deviceId}/telemetry        one reading            (device → server, QoS 1)
 *   sk/v1/devices/{deviceId}/telemetry-batch  buffered readings      (device → server, QoS 1)
 *   sk/v1/devices/{deviceId}/status           presence, also the last will (device → server)
 *   sk/v1/devices/{deviceId}/events           camera AI findings     (device → server, QoS 1)
 *   sk/v1/devices/{deviceId}/commands         commands to the device (server → device)
 */
export const TOPIC_ROOT = 'sk/v1/devices';

export const UPLINK_CHANNELS = ['telemetry', 'telemetry-batch', 'status', 'events'] as const;
export const DOWNLINK_CHANNELS = ['commands'] as const;
export type UplinkChannel = (typeof UPLINK_CHANNELS)[number];
export type DownlinkChannel = (typeof DOWNLINK_CHANNELS)[number];
export type Channel = UplinkChannel | DownlinkChannel;

const CHANNELS: ReadonlySet<string> = new Set<string>([...UPLINK_CHANNELS, ...DOWNLINK_CHANNELS]);

export interface DeviceTopic {
  deviceId: DeviceId;
  channel: Channel;
}

export function deviceTopic(deviceId: DeviceId, channel: Channel): string {
  if (!ID_PATTERN.test(deviceId)) throw new RangeError(`not a valid device id: ${JSON.stringify(deviceId)}`);
  return `${TOPIC_ROOT}/${deviceId}/${channel}`;
}

/** Parses a device topic; anything else (wildcards, `$SYS`, other roots, bad ids) is `undefined`. */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  if (!topic.startsWith(TOPIC_ROOT + '/')) return undefined;
  const rest = topic.slice(TOPIC_ROOT.length + 1).split('/');
  if (rest.length !== 2) return undefined;
  const [deviceId, channel] = rest as [string, string];
  if (!ID_PATTERN.test(deviceId) || !CHANNELS.has(channel)) return undefined;
  return { deviceId, channel: channel as Channel };
}

export function isUplinkChannel(channel: Channel): channel is UplinkChannel {
  return (UPLINK_CHANNELS as readonly string[]).includes(channel);
}
