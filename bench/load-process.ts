/**
 * Bench child: the load generator. Connects one lean MQTT client per device
 * (bench/wire-client.ts: real credentials, keepalive 60, clean session) and
 * publishes QoS 1 telemetry, timing each publish → PUBACK with
 * `performance.now()`. Against sunshine-kitchen the PUBACK leaves only after the
 * reading is committed to SQLite, so this is publish → durable latency; against
 * Mosquitto it is publish → broker received.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceTopic } from '../contracts/index.js';
import { OUT_OF_BAND_C } from './fleet.js';
import { LatencyRecorder } from './latency.js';
import { watchPauses } from './pause-monitor.js';
import { Column, epochMs, TIMELINE_DIR } from './timeline.js';
import { sampleProcess, sendToParent, type DeviceCredentials, type LoadMessage, type LoadPlan, type LoadRequest, type LoadResult } from './protocol.js';
import { WireClient } from './wire-client.js';

const send = (m: LoadMessage) => sendToParent(m);
const pauses = watchPauses();

const KEEPALIVE_S = 60;

/**
 * A device's messages awaiting their PUBACK, oldest first: packet id and publish
 * time. Typed arrays, so a publish allocates nothing to be timed. A broker
 * acknowledges in order, so the oldest is nearly always the one acknowledged;
 * any other is searched for.
 */
class InFlight {
  private readonly ids: Uint16Array;
  private readonly sentAt: Float64Array;
  private head = 0;
  count = 0;

  constructor(capacity: number) {
    this.ids = new Uint16Array(capacity);
    this.sentAt = new Float64Array(capacity);
  }

  push(id: number, sentAt: number): void {
    const at = (this.head + this.count++) % this.ids.length;
    this.ids[at] = id;
    this.sentAt[at] = sentAt;
  }

  /** Removes the message with this id; returns its publish time, or NaN if unknown. */
  take(id: number): number {
    const size = this.ids.length;
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % size;
      if (this.ids[at] !== id) continue;
      const sentAt = this.sentAt[at]!;
      // Close the gap: later entries move one slot towards the head (only when acknowledged out of order).
      for (let j = i; j > 0; j--) {
        const to = (this.head + j) % size;
        const from = (this.head + j - 1) % size;
        this.ids[to] = this.ids[from]!;
        this.sentAt[to] = this.sentAt[from]!;
      }
      this.head = (this.head + 1) % size;
      this.count--;
      return sentAt;
    }
    return Number.NaN;
  }

  clear(): number {
    const n = this.count;
    this.count = 0;
    return n;
  }
}

interface Device {
  client: WireClient;
  topic: Buffer;
  seq: number;
  inFlight: InFlight;
  /** Paced mode: readings due but not yet published because the window was full. */
  backlog: number;
  /** A stable-ish fridge temperature per device, so payloads differ like real ones. */
  baseC: number;
}

type Phase = 'idle' | 'warmup' | 'window' | 'drain' | 'done';

const clients: WireClient[] = [];
let expectedClose = false;
let disconnects = 0;
/** The run under way, told when one of its devices' connections closes (its messages in flight are lost). */
let onDeviceClosed: ((index: number) => void) | undefined;

function connectOne(url: string, cred: DeviceCredentials, index: number): Promise<WireClient> {
  return WireClient.connect(url, { clientId: cred.id, username: cred.id, password: cred.secret, keepaliveS: KEEPALIVE_S, connectTimeoutMs: 30_000 }).then((client) => {
    clients.push(client);
    client.onClose = () => {
      if (!expectedClose) disconnects++;
      onDeviceClosed?.(index);
    };
    return client;
  });
}

async function connectAll(plan: LoadPlan): Promise<WireClient[]> {
  const out: WireClient[] = new Array(plan.devices.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.devices.length) {
      const i = next++;
      out[i] = await connectOne(plan.url, plan.devices[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.connectConcurrency, plan.devices.length) }, worker));
  return out;
}

/** PINGREQ from every device that sent nothing for half its keepalive, as a device's MQTT client does. */
const keepalive = setInterval(() => {
  const now = performance.now();
  for (const client of clients) client.keepAlive(now, (KEEPALIVE_S * 1000) / 2);
}, 5_000);
keepalive.unref();

/** The fleet stays connected between runs of the same devices (growth curves run two phases on one fleet). */
let fleet: { url: string; clients: WireClient[] } | undefined;

async function run(plan: LoadPlan): Promise<LoadResult> {
  const connectStarted = performance.now();
  if (fleet?.url !== plan.url || fleet.clients.length !== plan.devices.length) fleet = { url: plan.url, clients: await connectAll(plan) };
  const connected = fleet.clients;
  const connectMs = Math.round(performance.now() - connectStarted);
  send({ type: 'connected', clients: connected.length, ms: connectMs });

  const devices: Device[] = connected.map((client, i) => ({
    client,
    topic: Buffer.from(deviceTopic(plan.devices[i]!.id, 'telemetry')),
    seq: 0,
    inFlight: new InFlight(Math.max(1, plan.window)),
    backlog: 0,
    baseC: 2 + (i % 5),
  }));
  const latency = new LatencyRecorder();
  /** SK_BENCH_TIMELINE: each timed message's send time (epoch ms) and latency. */
  const timeline = TIMELINE_DIR === undefined ? undefined : { sentAt: new Column(), ms: new Column() };
  let phase: Phase = 'warmup';
  /** The measurement window on performance.now()'s clock: a message sent inside it is timed. */
  const windowSpan = { from: Infinity, to: Infinity };
  let sent = 0;
  let acked = 0;
  let publishErrors = 0;
  let windowSent = 0;
  let windowAcked = 0;
  let deferred = 0;
  let windowAlerts = 0;
  let inFlight = 0;
  let onDrained: (() => void) | undefined;

  const publish = (d: Device, outOfBand = false) => {
    const seq = d.seq++;
    const inWindow = phase === 'window';
    sent++;
    if (inWindow) windowSent++;
    if (!d.client.connected) {
      publishErrors++;
      return;
    }
    // A realistic chilled-storage reading (contracts: temperature kind); ~120 bytes.
    // ts doubles as the publish time of an out-of-band reading: the alert it raises carries it as raisedAt.
    const payload = JSON.stringify({
      ts: Date.now(),
      seq,
      boot: plan.boot,
      temperatureC: outOfBand ? OUT_OF_BAND_C : Math.round((d.baseC + Math.sin(seq / 10)) * 10) / 10,
      humidityPct: 60 + (seq % 7),
      doorOpen: seq % 50 === 0,
      batteryPct: 87,
      rssiDbm: -67,
    });
    if (inWindow && outOfBand) windowAlerts++;
    inFlight++;
    const sentAt = performance.now();
    d.inFlight.push(d.client.publish(d.topic, payload), sentAt);
  };

  devices.forEach((d) => {
    d.client.onAck = (packetId, receivedAt) => {
      const sentAt = d.inFlight.take(packetId);
      if (Number.isNaN(sentAt)) return;
      inFlight--;
      acked++;
      if (phase === 'window') windowAcked++;
      // Published inside the window: timed.
      if (sentAt >= windowSpan.from && sentAt < windowSpan.to) {
        latency.add(receivedAt - sentAt);
        timeline?.sentAt.push(epochMs(sentAt));
        timeline?.ms.push(receivedAt - sentAt);
      }
      afterAck(d);
    };
  });
  onDeviceClosed = (index) => {
    const d = devices[index];
    if (!d) return;
    const lost = d.inFlight.clear();
    inFlight -= lost;
    publishErrors += lost;
    if (!running() && inFlight === 0) onDrained?.();
  };

  const running = () => phase === 'warmup' || phase === 'window';
  const afterAck = (d: Device) => {
    if (running()) {
      if (plan.mode === 'saturate') {
        while (d.client.connected && d.inFlight.count < plan.window) publish(d);
      } else if (plan.mode === 'paced' && d.backlog > 0 && d.inFlight.count < plan.window) {
        d.backlog--;
        publish(d);
      }
    } else if (inFlight === 0) onDrained?.();
  };

  let pacer: NodeJS.Timeout | undefined;
  if (plan.mode === 'saturate') {
    for (const d of devices) while (d.client.connected && d.inFlight.count < plan.window) publish(d);
  } else if (plan.mode === 'paced') {
    // Reading k is due at k / rate seconds and goes to device k mod N: every device
    // reports at the same interval, and the devices' phases are spread evenly.
    const rate = plan.ratePerSec ?? 1;
    const intervalMs = 1000 / rate;
    const t0 = performance.now();
    let k = 0;
    pacer = setInterval(() => {
      if (!running()) return;
      const due = Math.floor((performance.now() - t0) / intervalMs) + 1;
      for (; k < due; k++) {
        const d = devices[k % devices.length]!;
        // A deferred reading is sent in band: the alert count stays exact.
        if (d.inFlight.count < plan.window) publish(d, plan.alertEvery !== undefined && k % plan.alertEvery === 0);
        else {
          d.backlog++;
          deferred++;
        }
      }
    }, 1);
  }

  await sleep(plan.warmupS * 1000);
  pauses.take();
  const start = sampleProcess();
  const windowStartEpochMs = Date.now();
  windowSpan.from = performance.now();
  phase = 'window';
  send({ type: 'window:start' });
  await sleep(plan.seconds * 1000);
  const end = sampleProcess();
  const windowPauses = pauses.take();
  const windowEndEpochMs = Date.now();
  windowSpan.to = performance.now();
  phase = 'drain';
  send({ type: 'window:end' });
  if (pacer) clearInterval(pacer);
  let unsent = 0;
  for (const d of devices) {
    unsent += d.backlog;
    d.backlog = 0;
  }

  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, plan.drainTimeoutS * 1000);
      onDrained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  phase = 'done';
  if (timeline) writeFileSync(join(TIMELINE_DIR!, `load-${process.pid}-${plan.boot}.json`), JSON.stringify({ sentAt: timeline.sentAt.toArray(), ms: timeline.ms.toArray() }));
  return {
    sent,
    acked,
    publishErrors,
    disconnects,
    windowAcked,
    windowSent,
    windowMs: Math.round(end.atMs - start.atMs),
    latency: latency.summary(),
    deferred,
    unsent,
    inFlightAtEnd: inFlight,
    connectMs,
    windowAlerts,
    windowStartEpochMs,
    windowEndEpochMs,
    start,
    end,
    pauses: windowPauses,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function closeAll(): Promise<void> {
  expectedClose = true;
  await Promise.all(clients.map((c) => c.end()));
}

let closing = false;
async function shutdown(code: number): Promise<never> {
  if (!closing) {
    closing = true;
    // end() waits for nothing once no publish is outstanding; never hang on a dead broker.
    await Promise.race([closeAll(), sleep(5_000)]);
    if (process.connected) send({ type: 'closed' });
  }
  process.exit(code);
}

process.on('disconnect', () => void shutdown(1));
process.on('message', (raw) => {
  const msg = raw as LoadRequest;
  if (msg.type === 'close') void shutdown(0);
  else if (msg.type === 'run') {
    run(msg.plan).then(
      (result) => send({ type: 'result', result }),
      (error: unknown) => {
        send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
        void shutdown(1);
      },
    );
  }
});
