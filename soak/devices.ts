import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '../contracts/index.js';

export interface DeviceCredentials {
  id: string;
  secret: string;
}

export interface LoadOptions {
  url: string;
  devices: DeviceCredentials[];
  /** Most QoS 1 readings in flight per device. */
  window: number;
  /** Pause between a device's publishes, ms (0: as fast as the window allows). */
  intervalMs: number;
  /** A publish not acknowledged by then frees its window slot (it may still be acknowledged later). */
  ackTimeoutMs: number;
}

export interface LoadCounts {
  sent: number;
  acknowledged: number;
  /** Successful CONNACKs after the first one of each device. */
  reconnects: number;
}

/**
 * Devices that publish QoS 1 readings over real MQTT and remember exactly which
 * ones got a PUBACK (by boot and seq). They reconnect on their own when the
 * server goes away; a reading whose PUBACK never came is simply not counted as
 * acknowledged — the server owes nothing for it.
 */
export class AckedLoad {
  private readonly clients: MqttClient[] = [];
  /** Acknowledged seqs per device id. */
  readonly acked = new Map<string, Set<number>>();
  /** When each device last got a PUBACK (epoch ms). */
  readonly lastAckAt = new Map<string, number>();
  readonly boot = `soak-${Date.now().toString(36)}`;
  private readonly counts: LoadCounts = { sent: 0, acknowledged: 0, reconnects: 0 };
  private running = false;
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly options: LoadOptions) {}

  get figures(): LoadCounts {
    return { ...this.counts };
  }

  start(): void {
    this.running = true;
    for (const device of this.options.devices) {
      this.acked.set(device.id, new Set());
      const client = mqtt.connect(this.options.url, {
        clientId: device.id,
        username: device.id,
        password: device.secret,
        keepalive: 10,
        reconnectPeriod: 100,
        connectTimeout: 3_000,
        clean: true,
      });
      let connects = 0;
      client.on('connect', () => {
        if (connects++ > 0) this.counts.reconnects++;
      });
      // Refusals and resets are expected while the server is down; mqtt.js retries on its own.
      client.on('error', () => undefined);
      this.clients.push(client);
      this.loops.push(this.publishLoop(client, device.id));
    }
  }

  private async publishLoop(client: MqttClient, deviceId: string): Promise<void> {
    const topic = deviceTopic(deviceId, 'telemetry');
    const acked = this.acked.get(deviceId)!;
    let seq = 0;
    let inFlight = 0;
    while (this.running) {
      if (!client.connected || inFlight >= this.options.window) {
        await delay(10);
        continue;
      }
      const mySeq = ++seq;
      const payload = JSON.stringify({ ts: Date.now(), seq: mySeq, boot: this.boot, temperatureC: 2 + (mySeq % 40) / 10, doorOpen: false });
      inFlight++;
      this.counts.sent++;
      let slotFreed = false;
      const free = () => {
        if (!slotFreed) inFlight--;
        slotFreed = true;
      };
      const timer = setTimeout(free, this.options.ackTimeoutMs);
      client.publish(topic, payload, { qos: 1 }, (error) => {
        clearTimeout(timer);
        free();
        if (error) return;
        acked.add(mySeq);
        this.counts.acknowledged++;
        this.lastAckAt.set(deviceId, Date.now());
      });
      if (this.options.intervalMs > 0) await delay(this.options.intervalMs);
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Stops publishing, waits up to `graceMs` for PUBACKs still on their way, then disconnects. */
  async stop(graceMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    await Promise.all(this.loops);
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.clients.some((c) => c.connected && outgoing(c) > 0)) await delay(20);
    await Promise.all(this.clients.map((c) => c.endAsync(true)));
  }
}

/** QoS 1 publishes mqtt.js still waits on a PUBACK for. */
function outgoing(client: MqttClient): number {
  return Object.keys((client as unknown as { outgoing: Record<string, unknown> }).outgoing).length;
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
