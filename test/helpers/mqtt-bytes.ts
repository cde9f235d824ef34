/**
 * Raw MQTT 3.1.1 packets, byte by byte, for tests that must send what no client
 * library would: wrong first packets, reserved flags, lying lengths. Valid
 * packets here follow MQTT 3.1.1 §2–§3; each builder takes overrides so a test
 * can break exactly one rule.
 */

/** Encodes a Remaining Length as MQTT does: 7 bits per byte, high bit = more follows ([MQTT-2.2.3]). */
export function remainingLength(n: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return bytes;
}

/** A UTF-8 string (or raw bytes) with its two-byte length prefix ([MQTT-1.5.3]). */
export function mqttString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** A whole packet: fixed header byte, Remaining Length, body. */
export function mqttPacket(firstByte: number, ...body: Buffer[]): Buffer {
  const content = Buffer.concat(body);
  return Buffer.concat([Buffer.from([firstByte, ...remainingLength(content.length)]), content]);
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

export interface ConnectFields {
  clientId: string | Buffer;
  username?: string;
  password?: string;
  keepalive?: number;
  cleanSession?: boolean;
  /** Replaces the computed connect flags byte (to set the reserved bit, say). */
  flags?: number;
  protocolLevel?: number;
}

/** CONNECT, §3.1. */
export function connectPacket(f: ConnectFields): Buffer {
  let flags = f.cleanSession === false ? 0 : 0x02;
  if (f.username !== undefined) flags |= 0x80;
  if (f.password !== undefined) flags |= 0x40;
  const payload = [mqttString(f.clientId)];
  if (f.username !== undefined) payload.push(mqttString(f.username));
  if (f.password !== undefined) payload.push(mqttString(f.password));
  return mqttPacket(0x10, mqttString('MQTT'), Buffer.from([f.protocolLevel ?? 4, f.flags ?? flags]), u16(f.keepalive ?? 30), ...payload);
}

export interface PublishFields {
  topic: string | Buffer;
  payload: string | Buffer;
  qos?: number;
  id?: number;
  dup?: boolean;
  retain?: boolean;
}

/** PUBLISH, §3.3. A QoS of 3 is written as given: the flags are not checked here. */
export function publishPacket(f: PublishFields): Buffer {
  const qos = f.qos ?? 0;
  const first = 0x30 | (f.dup ? 0x08 : 0) | (qos << 1) | (f.retain ? 0x01 : 0);
  return mqttPacket(first, mqttString(f.topic), qos > 0 ? u16(f.id ?? 1) : Buffer.alloc(0), Buffer.from(f.payload));
}

/** SUBSCRIBE, §3.8 (the fixed header's flags must be 0010). */
export function subscribePacket(topic: string, qos = 1, id = 1, firstByte = 0x82): Buffer {
  return mqttPacket(firstByte, u16(id), mqttString(topic), Buffer.from([qos]));
}

/** PUBACK of a packet id. */
export const pubackPacket = (id: number) => mqttPacket(0x40, u16(id));
export const PINGREQ = Buffer.from([0xc0, 0x00]);
export const DISCONNECT = Buffer.from([0xe0, 0x00]);
