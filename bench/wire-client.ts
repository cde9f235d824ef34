/**
 * A lean MQTT 3.1.1 client for the bench's load generator and the Mosquitto
 * baseline's subscriber: one TCP socket; CONNECT, QoS 1 PUBLISH, SUBSCRIBE and
 * PINGREQ out; CONNACK, PUBACK, SUBACK, PINGRESP and PUBLISH (acknowledged at
 * QoS 1) in. Nothing else: no session store, no stream pipeline, no timer or
 * callback per message.
 *
 * Why not mqtt.js, which devices and simulators use: the bench times each
 * publish → PUBACK, so its own stalls count in every figure it reports. With
 * 2,000 mqtt.js clients at 10,000 messages/s, the load generator's collector
 * paused for up to 29 ms (400 ms in 15 s), and Mosquitto, which acknowledges in
 * well under a millisecond, measured a p99 of 33–44 ms; one mqtt.js subscriber
 * took a fifth of what Mosquitto passed it. A ruler that adds more than the
 * target is not a ruler (bench/README.md, twelfth pass).
 *
 * CONNECT and SUBSCRIBE are encoded by mqtt-packet, the library mqtt.js and
 * aedes use; PUBLISH, the hot path, is written here into one buffer per message.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface WireClientOptions {
  clientId: string;
  /** A device's credentials; none for the baseline's subscriber (Mosquitto runs with anonymous clients allowed). */
  username?: string;
  password?: string;
  /** Seconds; a PINGREQ goes out when nothing was sent for half of it. */
  keepaliveS: number;
  /** CONNECT → CONNACK, ms. */
  connectTimeoutMs: number;
}

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3). */
const CONNACK_REFUSED: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

const PACKET = { connack: 2, publish: 3, puback: 4, suback: 9, pingresp: 13 } as const;
const PUBLISH_QOS1 = 0x32;
const PINGREQ = Buffer.from([0xc0, 0x00]);
const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** Bytes the MQTT remaining-length field takes for `n` (1 to 4). */
function lengthBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/**
 * A QoS 1 PUBLISH of `payload` (UTF-8) to `topic` with packet id `id`, in one
 * buffer. Exported for its test, which parses it with mqtt-packet.
 */
export function encodePublish(topic: Buffer, id: number, payload: string): Buffer {
  const payloadBytes = Buffer.byteLength(payload);
  const remaining = 2 + topic.length + 2 + payloadBytes;
  const out = Buffer.allocUnsafe(1 + lengthBytes(remaining) + remaining);
  let at = 0;
  out[at++] = PUBLISH_QOS1;
  let rest = remaining;
  do {
    const digit = rest % 0x80;
    rest = Math.floor(rest / 0x80);
    out[at++] = rest > 0 ? digit | 0x80 : digit;
  } while (rest > 0);
  at = out.writeUInt16BE(topic.length, at);
  at += topic.copy(out, at);
  at = out.writeUInt16BE(id, at);
  out.write(payload, at, 'utf8');
  return out;
}

export class WireClient {
  /** Called with each PUBACK's packet id and the time its bytes were read (`performance.now()`). */
  onAck: (packetId: number, receivedAt: number) => void = () => undefined;
  /** Called with the topic's bytes of each PUBLISH the broker delivers (acknowledged here at QoS 1). */
  onMessage: (topic: Buffer, receivedAt: number) => void = () => undefined;
  /** Called once when the connection ends, whoever ended it. */
  onClose: () => void = () => undefined;
  private nextId = 1;
  private lastSentAt = 0;
  /** The start of a packet split across reads (rare: the broker's packets are 2-4 bytes). */
  private carry: Buffer | undefined;
  private connack: ((error?: Error) => void) | undefined;
  private suback: ((error?: Error) => void) | undefined;
  /** Packet ids of QoS 1 deliveries read in this chunk, acknowledged in one write after it. */
  private toAcknowledge: number[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {}

  /** Connects and resolves after a CONNACK that accepts; rejects with the broker's reason otherwise. */
  static connect(url: string, options: WireClientOptions): Promise<WireClient> {
    const { hostname, port } = new URL(url);
    const socket = tcpConnect({ host: hostname, port: Number(port), noDelay: true });
    const device = new WireClient(socket);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${options.clientId}: no CONNACK within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        device.connack = undefined;
        socket.destroy();
        reject(error);
      };
      device.connack = (error) => {
        clearTimeout(timer);
        device.connack = undefined;
        if (error) fail(error);
        else resolve(device);
      };
      socket.once('error', (error) => fail(new Error(`${options.clientId}: ${error.message}`)));
      socket.on('data', device.read);
      socket.on('close', () => {
        device.closed = true;
        device.connack?.(new Error(`${options.clientId}: connection closed before CONNACK`));
        device.onClose();
      });
      socket.once('connect', () => {
        // Errors after CONNECT end the connection, and onClose tells the owner.
        socket.on('error', () => undefined);
        device.send(
          mqttPacket.generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clean: true,
            clientId: options.clientId,
            keepalive: options.keepaliveS,
            ...(options.username === undefined ? {} : { username: options.username }),
            ...(options.password === undefined ? {} : { password: Buffer.from(options.password) }),
          }),
        );
      });
    });
  }

  get connected(): boolean {
    return !this.closed;
  }

  /** Publishes at QoS 1 and returns the packet id its PUBACK will carry. */
  publish(topic: Buffer, payload: string): number {
    const id = this.takeId();
    this.send(encodePublish(topic, id, payload));
    return id;
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = id === 0xffff ? 1 : id + 1;
    return id;
  }

  /** Subscribes to one filter; resolves on a SUBACK that grants it, rejects on one that refuses. */
  subscribe(filter: string, qos: 0 | 1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.suback = (error) => {
        this.suback = undefined;
        if (error) reject(error);
        else resolve();
      };
      this.send(mqttPacket.generate({ cmd: 'subscribe', messageId: this.takeId(), subscriptions: [{ topic: filter, qos }] }));
    });
  }

  /** Sends a PINGREQ if nothing was sent for `idleMs`, as a client does to keep its session. */
  keepAlive(now: number, idleMs: number): void {
    if (!this.closed && now - this.lastSentAt >= idleMs) this.send(PINGREQ);
  }

  /** DISCONNECT, then closes; resolves once the socket is closed. */
  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end(DISCONNECT);
    });
  }

  private send(bytes: Buffer): void {
    this.lastSentAt = performance.now();
    this.socket.write(bytes);
  }

  private readonly read = (chunk: Buffer): void => {
    const receivedAt = performance.now();
    let bytes = chunk;
    if (this.carry) {
      bytes = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let at = 0;
    while (at < bytes.length) {
      // Fixed header: type in the high nibble, then the remaining length (1-4 bytes, 7 bits each).
      let length = 0;
      let scale = 1;
      let body = at + 1;
      let complete = false;
      while (body < bytes.length && body - at <= 4) {
        const digit = bytes[body++]!;
        length += (digit & 0x7f) * scale;
        scale *= 0x80;
        if ((digit & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || body + length > bytes.length) {
        if (body - at > 4) return this.protocolError('a remaining length longer than 4 bytes');
        this.carry = Buffer.from(bytes.subarray(at));
        return;
      }
      this.packet(bytes[at]!, bytes, body, length, receivedAt);
      if (this.socket.destroyed) return;
      at = body + length;
    }
    if (this.toAcknowledge.length > 0) this.acknowledge();
  };

  /** One write of a PUBACK for every QoS 1 delivery of the chunk just read. */
  private acknowledge(): void {
    const ids = this.toAcknowledge;
    const out = Buffer.allocUnsafe(4 * ids.length);
    for (let i = 0; i < ids.length; i++) {
      out[4 * i] = 0x40;
      out[4 * i + 1] = 0x02;
      out.writeUInt16BE(ids[i]!, 4 * i + 2);
    }
    ids.length = 0;
    this.send(out);
  }

  private packet(first: number, bytes: Buffer, body: number, length: number, receivedAt: number): void {
    const type = first >> 4;
    if (type === PACKET.puback && length >= 2) this.onAck(bytes.readUInt16BE(body), receivedAt);
    else if (type === PACKET.publish && length >= 2) this.delivered((first >> 1) & 0x03, bytes, body, length, receivedAt);
    else if (type === PACKET.connack && length >= 2) {
      const code = bytes[body + 1]!;
      this.connack?.(code === 0 ? undefined : new Error(`CONNACK refused: ${CONNACK_REFUSED[code] ?? `return code ${code}`}`));
    } else if (type === PACKET.suback && length >= 3) {
      // 0x80 is the broker's refusal (section 3.9.3).
      this.suback?.(bytes[body + 2] === 0x80 ? new Error('SUBACK refused the subscription') : undefined);
    } else if (type !== PACKET.pingresp) this.protocolError(`an unexpected packet of type ${type}`);
  }

  /** A PUBLISH from the broker: topic, then (QoS 1 and 2) a packet id, then the payload. */
  private delivered(qos: number, bytes: Buffer, body: number, length: number, receivedAt: number): void {
    const topicLength = bytes.readUInt16BE(body);
    const topicEnd = body + 2 + topicLength;
    if (qos > 1 || topicEnd + (qos === 1 ? 2 : 0) > body + length) return this.protocolError(qos > 1 ? 'a PUBLISH at QoS 2' : 'a PUBLISH shorter than its topic');
    if (qos === 1) this.toAcknowledge.push(bytes.readUInt16BE(topicEnd));
    this.onMessage(bytes.subarray(body + 2, topicEnd), receivedAt);
  }

  private protocolError(what: string): void {
    this.socket.destroy(new Error(`broker sent ${what}`));
  }
}
