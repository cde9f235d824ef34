import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, MAX_BATCH_READINGS, type DeviceStatus } from '../contracts/index.js';
import type { DeviceModel, FaultName } from './models/model.js';
import { OfflineBuffer, type BufferedReading } from './offline-buffer.js';
import { Random } from './random.js';

/** Options of one simulated device. Everything but the connection and the model has a default. */
export interface DeviceClientOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** Device id: also the MQTT client id and username. */
  deviceId: string;
  /** Device secret: the MQTT password. */
  secret: string;
  /** The physics that produces readings. */
  model: DeviceModel;
  /** Seeds the boot id; the device's physics are seeded through its model. */
  seed?: number;
  /** Boot id of the first boot; by default derived from the seed and the clock, so each run differs. */
  boot?: string;
  firmware?: string;
  /** Readings kept while offline; the oldest are dropped beyond this (default 10,000). */
  maxBuffered?: number;
  /** Readings per `telemetry-batch` message (default and maximum 500). */
  maxBatchReadings?: number;
  /** Bytes per batch payload, to stay under the broker's packet limit (default 128 KiB). */
  maxBatchBytes?: number;
  /** Wait between reconnection attempts (default 2,000 ms). */
  reconnectPeriodMs?: number;
  /** MQTT keepalive (default 30 s); the broker judges presence by it. */
  keepaliveS?: number;
  /** How long `start()` waits for the first connection before resolving anyway (default 10,000 ms). */
  startTimeoutMs?: number;
  /** Device clock for status messages and `publishNow()` without a time (default `Date.now`). */
  clock?: () => number;
}

/** What the device has done since it was created. */
export interface DeviceClientCounters {
  /** Readings published (singly or in batches), resends included. */
  sent: number;
  /** Readings the broker acknowledged (PUBACK). */
  acked: number;
  /** Readings waiting in the offline buffer now. */
  buffered: number;
  /** Readings lost because the offline buffer was full. */
  dropped: number;
  /** `telemetry-batch` messages acknowledged. */
  batches: number;
  /** Camera findings acknowledged. */
  findings: number;
  /** Successful connections (first connect and every reconnect). */
  connects: number;
}

/** What became of one `publishNow()`. */
export type PublishOutcome = 'acked' | 'buffered' | 'skipped';

/** Events of a device client (`domain:verb`). None is named `error`, so an unheard event never throws. */
export interface DeviceClientEvents {
  'mqtt:connected': [];
  'mqtt:disconnected': [];
  /** A connection or publish problem; the client keeps retrying on its own. */
  'mqtt:error': [Error];
}

type Finding = { ts: number; seq: number; boot: string; type: string; confidence: number; zone?: string };

const MAX_BUFFERED_FINDINGS = 1_000;
const STOP_GRACE_MS = 3_000;

/**
 * One simulated device over real MQTT. Readings go out on `telemetry` (QoS 1)
 * while connected; while offline they are buffered and, on reconnect, sent as
 * `telemetry-batch` messages. Delivery is at least once: a reading whose publish
 * failed is buffered again, and the server drops duplicates by (device, boot, seq).
 * Connection errors never throw: mqtt.js reconnects and the client reports them
 * as `mqtt:error` events.
 */
export class DeviceClient extends EventEmitter<DeviceClientEvents> {
  readonly deviceId: string;
  readonly model: DeviceModel;
  private readonly opts: Required<Omit<DeviceClientOptions, 'boot' | 'firmware' | 'seed'>> & { firmware: string };
  private readonly rng: Random;
  private client: MqttClient | undefined;
  private bootId: string;
  private seq = 0;
  private findingSeq = 0;
  private readonly buffer: OfflineBuffer;
  private readonly pendingFindings: Finding[] = [];
  private flushing = false;
  private inFlight = 0;
  private readonly counts: Omit<DeviceClientCounters, 'buffered' | 'dropped'> = { sent: 0, acked: 0, batches: 0, findings: 0, connects: 0 };

  constructor(options: DeviceClientOptions) {
    super();
    this.deviceId = options.deviceId;
    this.model = options.model;
    this.opts = {
      url: options.url,
      deviceId: options.deviceId,
      secret: options.secret,
      model: options.model,
      firmware: options.firmware ?? 'sk-sim/1.0',
      maxBuffered: options.maxBuffered ?? 10_000,
      maxBatchReadings: Math.min(options.maxBatchReadings ?? MAX_BATCH_READINGS, MAX_BATCH_READINGS),
      maxBatchBytes: options.maxBatchBytes ?? 128 * 1024,
      reconnectPeriodMs: options.reconnectPeriodMs ?? 2_000,
      keepaliveS: options.keepaliveS ?? 30,
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
      clock: options.clock ?? Date.now,
    };
    this.buffer = new OfflineBuffer(this.opts.maxBuffered, this.opts.maxBatchReadings, this.opts.maxBatchBytes);
    this.rng = new Random(options.seed ?? 1);
    this.bootId = options.boot ?? this.newBootId();
  }

  /** Boot id of the current boot: changes when the device comes back from a power loss. */
  get boot(): string {
    return this.bootId;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get counters(): DeviceClientCounters {
    return { ...this.counts, buffered: this.buffer.size, dropped: this.buffer.dropped };
  }

  /** Connects; resolves on the first CONNACK or after `startTimeoutMs`, whichever first (it keeps trying). */
  start(): Promise<void> {
    if (this.client || this.model.activeFaults.has('power_loss')) return Promise.resolve();
    const client = this.connect();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.opts.startTimeoutMs);
      client.once('connect', done);
      function done() {
        clearTimeout(timer);
        client.off('connect', done);
        resolve();
      }
    });
  }

  /** Says goodbye (retained `online: false`) and disconnects, giving in-flight messages a moment to be acknowledged. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    if (client.connected) {
      const status: DeviceStatus = { online: false, ts: this.opts.clock(), boot: this.bootId, reason: 'shutdown' };
      await withTimeout(client.publishAsync(deviceTopic(this.deviceId, 'status'), JSON.stringify(status), { qos: 1, retain: true }), STOP_GRACE_MS).catch(
        (error: unknown) => this.emit('mqtt:error', asError(error)),
      );
      const deadline = Date.now() + STOP_GRACE_MS;
      while (this.inFlight > 0 && Date.now() < deadline) await delay(20);
    }
    await client.endAsync(true);
  }

  /**
   * Samples the model at `t` and publishes the reading (and any camera findings).
   * Resolves when the broker has acknowledged it, or once it is buffered, or at
   * once if the device has nothing to report (no power).
   */
  async publishNow(t = this.opts.clock()): Promise<PublishOutcome> {
    const ts = Math.round(t);
    const fields = this.model.sample(ts);
    for (const finding of this.model.findings?.(ts) ?? []) {
      void this.sendFinding({ ts, seq: this.findingSeq++, boot: this.bootId, ...finding });
    }
    if (!fields) return 'skipped';
    return this.sendReading({ boot: this.bootId, reading: { ts, seq: this.seq++, ...fields } });
  }

  /**
   * Starts a fault. `power_loss` also cuts the connection without a DISCONNECT,
   * so the broker publishes the last will, as it would for a real device.
   */
  inject(fault: FaultName, at = this.opts.clock()): void {
    this.model.inject(fault, at);
    if (fault === 'power_loss' && this.client) {
      const client = this.client;
      this.client = undefined;
      client.end(true);
    }
  }

  /** Ends a fault; after a power loss the device boots again: new boot id, sequence from 0. */
  clear(fault: FaultName): void {
    const wasOff = this.model.activeFaults.has('power_loss');
    this.model.clear(fault);
    if (fault === 'power_loss' && wasOff) {
      this.bootId = this.newBootId();
      this.seq = 0;
      this.findingSeq = 0;
      if (!this.client) this.connect();
    }
  }

  private connect(): MqttClient {
    const will: DeviceStatus = { online: false, boot: this.bootId, reason: 'connection lost' };
    const client = mqtt.connect(this.opts.url, {
      clientId: this.deviceId,
      username: this.deviceId,
      password: this.opts.secret,
      keepalive: this.opts.keepaliveS,
      // Nothing is subscribed and buffered readings are our own: no broker session to keep.
      clean: true,
      reconnectPeriod: this.opts.reconnectPeriodMs,
      // A refused CONNECT (not yet registered, server busy) is retried like a lost connection, as a real device would.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      will: { topic: deviceTopic(this.deviceId, 'status'), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      this.counts.connects++;
      this.emit('mqtt:connected');
      const status: DeviceStatus = { online: true, ts: this.opts.clock(), boot: this.bootId, firmware: this.opts.firmware };
      client
        .publishAsync(deviceTopic(this.deviceId, 'status'), JSON.stringify(status), { qos: 1, retain: true })
        .catch((error: unknown) => this.emit('mqtt:error', asError(error)));
      void this.flush(client);
    });
    client.on('close', () => this.emit('mqtt:disconnected'));
    client.on('error', (error) => this.emit('mqtt:error', error));
    return client;
  }

  private async sendReading(reading: BufferedReading): Promise<PublishOutcome> {
    const client = this.client;
    if (!client?.connected) {
      this.buffer.add([reading]);
      return 'buffered';
    }
    const ok = await this.publish(client, 'telemetry', { ...reading.reading, boot: reading.boot }, 1);
    if (ok) return 'acked';
    this.buffer.add([reading]);
    return 'buffered';
  }

  private async sendFinding(finding: Finding): Promise<boolean> {
    const client = this.client;
    if (client?.connected && (await this.publish(client, 'events', finding, 0))) {
      this.counts.findings++;
      return true;
    }
    if (this.pendingFindings.length >= MAX_BUFFERED_FINDINGS) this.pendingFindings.shift();
    this.pendingFindings.push(finding);
    return false;
  }

  /** Publishes one message with QoS 1; true once acknowledged. Counts `readings` readings. */
  private async publish(client: MqttClient, channel: 'telemetry' | 'telemetry-batch' | 'events', payload: object, readings: number): Promise<boolean> {
    this.counts.sent += readings;
    this.inFlight++;
    try {
      await client.publishAsync(deviceTopic(this.deviceId, channel), JSON.stringify(payload), { qos: 1 });
      this.counts.acked += readings;
      return true;
    } catch (error) {
      this.emit('mqtt:error', asError(error));
      return false;
    } finally {
      this.inFlight--;
    }
  }

  /** Sends the offline buffer as batches, oldest first, for as long as the connection lasts. */
  private async flush(client: MqttClient): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (client.connected && this.client === client && this.buffer.size > 0) {
        const batch = this.buffer.takeBatch();
        const payload = { boot: batch[0]?.boot, readings: batch.map((b) => b.reading) };
        if (!(await this.publish(client, 'telemetry-batch', payload, batch.length))) {
          this.buffer.add(batch, true);
          break;
        }
        this.counts.batches++;
      }
      while (client.connected && this.client === client && this.pendingFindings.length > 0) {
        if (!(await this.sendFinding(this.pendingFindings.shift() as Finding))) break;
      }
    } finally {
      this.flushing = false;
    }
  }

  private newBootId(): string {
    // The clock makes every run's boot id new, so a restarted simulator's seq 0 is not taken for a resend.
    return `b${this.opts.clock().toString(36)}-${this.rng.nextUint32().toString(36)}`;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, delay(ms).then(() => undefined)]);
}
