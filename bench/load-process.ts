/**
 * Bench child: the load generator. Connects one mqtt.js client per device (real
 * credentials, keepalive 60, clean session) and publishes QoS 1 telemetry,
 * timing each publish → PUBACK with `performance.now()`. Against sunshine-kitchen
 * the PUBACK leaves only after the reading is committed to SQLite, so this is
 * publish → durable latency; against Mosquitto it is publish → broker received.
 */
import '../observability/quiet-debug.js';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '../contracts/index.js';
import { OUT_OF_BAND_C } from './fleet.js';
import { LatencyRecorder } from './latency.js';
import { sampleProcess, sendToParent, type DeviceCredentials, type LoadMessage, type LoadPlan, type LoadRequest, type LoadResult } from './protocol.js';

const send = (m: LoadMessage) => sendToParent(m);

interface Device {
  client: MqttClient;
  topic: string;
  seq: number;
  inFlight: number;
  /** Paced mode: readings due but not yet published because the window was full. */
  backlog: number;
  /** A stable-ish fridge temperature per device, so payloads differ like real ones. */
  baseC: number;
}

type Phase = 'idle' | 'warmup' | 'window' | 'drain' | 'done';

const clients: MqttClient[] = [];
let expectedClose = false;
let disconnects = 0;

function setNoDelay(client: MqttClient): void {
  const stream = client.stream as { setNoDelay?: (on: boolean) => void } | undefined;
  stream?.setNoDelay?.(true);
}

function connectOne(url: string, cred: DeviceCredentials): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: cred.id,
      username: cred.id,
      password: cred.secret,
      keepalive: 60,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      protocolVersion: 4,
    });
    clients.push(client);
    client.once('connect', () => {
      // Our broker sets TCP_NODELAY on its side; without it here too, Nagle would hold
      // back small PUBLISH packets and the load generator, not the server, would set the pace.
      setNoDelay(client);
      client.on('close', () => {
        if (!expectedClose) disconnects++;
      });
      resolve(client);
    });
    client.once('error', (error) => reject(new Error(`${cred.id}: ${error.message}`)));
    // Errors after connecting show up as a close, counted above.
    client.on('error', () => undefined);
  });
}

async function connectAll(plan: LoadPlan): Promise<MqttClient[]> {
  const out: MqttClient[] = new Array(plan.devices.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.devices.length) {
      const i = next++;
      out[i] = await connectOne(plan.url, plan.devices[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.connectConcurrency, plan.devices.length) }, worker));
  return out;
}

/** The fleet stays connected between runs of the same devices (growth curves run two phases on one fleet). */
let fleet: { url: string; clients: MqttClient[] } | undefined;

async function run(plan: LoadPlan): Promise<LoadResult> {
  const connectStarted = performance.now();
  if (fleet?.url !== plan.url || fleet.clients.length !== plan.devices.length) fleet = { url: plan.url, clients: await connectAll(plan) };
  const connected = fleet.clients;
  const connectMs = Math.round(performance.now() - connectStarted);
  send({ type: 'connected', clients: connected.length, ms: connectMs });

  const devices: Device[] = connected.map((client, i) => ({
    client,
    topic: deviceTopic(plan.devices[i]!.id, 'telemetry'),
    seq: 0,
    inFlight: 0,
    backlog: 0,
    baseC: 2 + (i % 5),
  }));
  const latency = new LatencyRecorder();
  let phase: Phase = 'warmup';
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
    const inWindow = phase === 'window';
    if (inWindow && outOfBand) windowAlerts++;
    d.inFlight++;
    inFlight++;
    sent++;
    if (inWindow) windowSent++;
    const t0 = performance.now();
    d.client.publish(d.topic, payload, { qos: 1 }, (error) => {
      const ms = performance.now() - t0;
      d.inFlight--;
      inFlight--;
      if (error) publishErrors++;
      else {
        acked++;
        if (phase === 'window') windowAcked++;
        if (inWindow) latency.add(ms);
      }
      afterAck(d);
    });
  };

  const running = () => phase === 'warmup' || phase === 'window';
  const afterAck = (d: Device) => {
    if (running()) {
      if (plan.mode === 'saturate') {
        while (d.inFlight < plan.window) publish(d);
      } else if (plan.mode === 'paced' && d.backlog > 0 && d.inFlight < plan.window) {
        d.backlog--;
        publish(d);
      }
    } else if (inFlight === 0) onDrained?.();
  };

  let pacer: NodeJS.Timeout | undefined;
  if (plan.mode === 'saturate') {
    for (const d of devices) while (d.inFlight < plan.window) publish(d);
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
        if (d.inFlight < plan.window) publish(d, plan.alertEvery !== undefined && k % plan.alertEvery === 0);
        else {
          d.backlog++;
          deferred++;
        }
      }
    }, 1);
  }

  await sleep(plan.warmupS * 1000);
  const start = sampleProcess();
  const windowStartEpochMs = Date.now();
  phase = 'window';
  send({ type: 'window:start' });
  await sleep(plan.seconds * 1000);
  const end = sampleProcess();
  const windowEndEpochMs = Date.now();
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
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function closeAll(): Promise<void> {
  expectedClose = true;
  await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(false, {}, () => r()))));
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
