import { EventEmitter } from 'node:events';
import { ID_PATTERN, type DeviceKind, type DeviceProfile } from '../contracts/index.js';
import { DeviceClient, type DeviceClientOptions } from './device-client.js';
import { createModel } from './models/index.js';
import type { FaultName } from './models/model.js';
import { deviceSeed, Random } from './random.js';

/** One device of a fleet, as registered on the server. */
export interface FleetDevice {
  id: string;
  secret: string;
  kind: DeviceKind;
  profile: DeviceProfile;
  siteId?: string;
}

/** Options of a {@link Fleet}; checked once by the constructor. */
export interface FleetOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  devices: readonly FleetDevice[];
  /** Each device reports about this often (default 5,000 ms), jittered ±10%. */
  intervalMs?: number;
  /** Fleet seed: the same seed gives every device the same physics (default 1). */
  seed?: number;
  /** Faults in effect from the start. */
  faults?: ReadonlyArray<{ deviceId: string; fault: FaultName }>;
  /** Connections are spread over this long, so a big fleet does not storm the broker (default min(intervalMs, 5,000)). */
  connectSpreadMs?: number;
  /** Device clock (default `Date.now`). */
  clock?: () => number;
  /** Options passed to every {@link DeviceClient}. */
  client?: Partial<Pick<DeviceClientOptions, 'maxBuffered' | 'maxBatchReadings' | 'maxBatchBytes' | 'reconnectPeriodMs' | 'keepaliveS' | 'startTimeoutMs' | 'firmware'>>;
}

/** Totals over the fleet, for status lines and benchmarks. */
export interface FleetStats {
  devices: number;
  connected: number;
  sent: number;
  acked: number;
  buffered: number;
  dropped: number;
  findings: number;
}

export interface FleetEvents {
  /** A device's connection or publish problem; the device keeps retrying. */
  'device:error': [deviceId: string, error: Error];
}

/**
 * Many simulated devices publishing on an interval. Each device starts at a
 * random phase and jitters every interval, so a fleet does not publish in bursts.
 */
export class Fleet extends EventEmitter<FleetEvents> {
  readonly intervalMs: number;
  private readonly devices = new Map<string, DeviceClient>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly rng: Random;
  private readonly clock: () => number;
  private readonly connectSpreadMs: number;
  private running = false;

  constructor(options: FleetOptions) {
    super();
    const intervalMs = options.intervalMs ?? 5_000;
    if (!(intervalMs >= 10)) throw new RangeError(`intervalMs must be at least 10, got ${intervalMs}`);
    const seed = options.seed ?? 1;
    this.intervalMs = intervalMs;
    this.clock = options.clock ?? Date.now;
    this.rng = new Random(seed);
    this.connectSpreadMs = options.connectSpreadMs ?? Math.min(intervalMs, 5_000);
    for (const device of options.devices) {
      if (!ID_PATTERN.test(device.id)) throw new RangeError(`not a valid device id: ${JSON.stringify(device.id)}`);
      if (this.devices.has(device.id)) throw new RangeError(`device ${device.id} is listed twice`);
      const client = new DeviceClient({
        ...options.client,
        url: options.url,
        deviceId: device.id,
        secret: device.secret,
        model: createModel(device.kind, device.profile, deviceSeed(seed, device.id)),
        seed: deviceSeed(seed, `${device.id}/boot`),
        clock: this.clock,
      });
      client.on('mqtt:error', (error) => this.emit('device:error', device.id, error));
      this.devices.set(device.id, client);
    }
    const now = this.clock();
    for (const { deviceId, fault } of options.faults ?? []) this.get(deviceId).inject(fault, now);
  }

  /** The device clients, by device id. */
  get clients(): ReadonlyMap<string, DeviceClient> {
    return this.devices;
  }

  /** Connects every device (spread over `connectSpreadMs`) and starts the reporting timers. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const clients = [...this.devices.values()];
    const gap = clients.length > 1 ? this.connectSpreadMs / clients.length : 0;
    await Promise.all(
      clients.map(async (client, i) => {
        await delay(i * gap);
        if (!this.running) return;
        this.schedule(client, this.rng.uniform(0, this.intervalMs));
        await client.start();
      }),
    );
  }

  /** Stops the timers and disconnects every device cleanly. */
  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.devices.values()].map((client) => client.stop()));
  }

  /** Starts a fault on one device. */
  inject(deviceId: string, fault: FaultName): void {
    this.get(deviceId).inject(fault, this.clock());
  }

  /** Ends a fault on one device. */
  clear(deviceId: string, fault: FaultName): void {
    this.get(deviceId).clear(fault);
  }

  stats(): FleetStats {
    const stats: FleetStats = { devices: this.devices.size, connected: 0, sent: 0, acked: 0, buffered: 0, dropped: 0, findings: 0 };
    for (const client of this.devices.values()) {
      const c = client.counters;
      if (client.connected) stats.connected++;
      stats.sent += c.sent;
      stats.acked += c.acked;
      stats.buffered += c.buffered;
      stats.dropped += c.dropped;
      stats.findings += c.findings;
    }
    return stats;
  }

  private get(deviceId: string): DeviceClient {
    const client = this.devices.get(deviceId);
    if (!client) throw new RangeError(`no device ${deviceId} in this fleet`);
    return client;
  }

  private schedule(client: DeviceClient, inMs: number): void {
    const timer = setTimeout(() => {
      if (!this.running) return;
      client.publishNow(this.clock()).catch((error: unknown) => this.emit('device:error', client.deviceId, error instanceof Error ? error : new Error(String(error))));
      // ±10% jitter: devices drift apart as real ones do, instead of publishing in lock-step.
      this.schedule(client, this.intervalMs * this.rng.uniform(0.9, 1.1));
    }, inMs);
    this.timers.set(client.deviceId, timer);
  }
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
