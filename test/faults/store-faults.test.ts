import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import type { IngestSink } from '../../store/index.js';
import { dbFile } from '../../soak/store-check.js';
import { recordFigures } from '../helpers/figures.js';
import { connectPacket, DISCONNECT, publishPacket } from '../helpers/mqtt-bytes.js';
import { rawConnect } from '../helpers/raw-socket.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault item 10, the SQLite part: the store cannot write (locked by another
 * writer, disk full). No PUBACK goes out for what was not written; the broker
 * closes those connections, devices keep the readings and resend them after
 * reconnecting; once the store writes again everything is stored exactly once.
 * Meanwhile the failure shows: an error log, `sk_store_write_failures_total`,
 * `sk_store_failing` = 1 and GET /ready answering 503.
 * (InfluxDB outages are handled by the Influx outbox, tested with that adapter.)
 *
 * And the store that is slow rather than failing (a stalled disk, an overload):
 * once SK_MQTT_MAX_IN_FLIGHT messages wait between PUBLISH and PUBACK, the broker
 * stops reading device sockets, so the backlog waits in the kernel and the
 * devices rather than in the server's heap, and reads again once half of what
 * waits is acknowledged. Nothing is refused or lost: devices wait longer.
 */
let server: TestServer | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await server?.stop();
  server = undefined;
});

async function gauge(name: string): Promise<number> {
  const metric = await server!.metrics.registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

/** A device that reconnects quickly, as a real one would after its connection was closed, and counts its connections. */
async function resilientDevice(id: string, secret: string): Promise<{ client: MqttClient; connects: () => number }> {
  let connects = 1;
  const client = await connectDevice(server!.mqttUrl, id, secret, { reconnectPeriod: 100 });
  client.on('connect', () => connects++);
  // Closed connections while the store fails are expected; mqtt.js reconnects by itself.
  client.on('error', () => undefined);
  clients.push(client);
  return { client, connects: () => connects };
}

/** The error better-sqlite3 really throws when the database cannot grow: made by filling a tiny database. */
function realDiskFullError(): Error {
  const db = new Database(':memory:');
  try {
    db.pragma('max_page_count = 4');
    db.exec('CREATE TABLE t (x BLOB)');
    const insert = db.prepare('INSERT INTO t VALUES (randomblob(4096))');
    for (;;) insert.run();
  } catch (error) {
    return error as Error;
  } finally {
    db.close();
  }
}

describe('fault 10: the SQLite store cannot write', () => {
  it('withholds PUBACK while another writer holds the database lock (SQLITE_BUSY), then stores the resent reading once', async ({ task }) => {
    server = await startTestServer();
    const device = await server.provision({ id: 'fridge-1' });
    const { client, connects } = await resilientDevice(device.id, device.secret);
    // A real competing writer: another connection holds the write lock past the server's busy timeout (5 s).
    const competitor = new Database(dbFile(server.dataDir));
    competitor.exec('BEGIN IMMEDIATE');
    let acked = false;
    const publish = client.publishAsync(deviceTopic(device.id, 'telemetry'), reading(1), { qos: 1 }).then(() => (acked = true));
    await expect.poll(() => gauge('sk_store_write_failures_total'), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(acked).toBe(false);
    expect(await gauge('sk_store_failing')).toBe(1);
    const ready = await server.api.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().reason).toMatch(/store writes failing/);

    competitor.exec('ROLLBACK');
    competitor.close();
    await publish;
    expect(connects()).toBeGreaterThanOrEqual(2);
    expect(await server.store.telemetry.count(device.id)).toBe(1);
    expect(await gauge('sk_store_failing')).toBe(0);
    expect((await server.api.inject({ url: '/ready' })).statusCode).toBe(200);
    recordFigures(task, { faultsInjected: 1, acknowledged: 1, lost: 0 });
  }, 30_000);

  it('holds nothing it acknowledged while the disk is full: devices resend, and after recovery every reading is stored exactly once', async ({ task }) => {
    let diskFull = false;
    const failure = realDiskFullError();
    expect((failure as { code?: string }).code).toBe('SQLITE_FULL');
    const wrap = (sink: IngestSink): IngestSink => ({
      writeBatch: async (writes) => {
        if (diskFull) throw failure;
        return sink.writeBatch(writes);
      },
    });
    server = await startTestServer({}, undefined, { wrapIngestSink: wrap });
    const DEVICES = 5;
    const READINGS = 20;
    const devices = await Promise.all(Array.from({ length: DEVICES }, (_, i) => server!.provision({ id: `fridge-${i}` })));
    const connected = await Promise.all(devices.map((d) => resilientDevice(d.id, d.secret)));
    diskFull = true;
    let acked = 0;
    const publishes = connected.flatMap(({ client }, i) =>
      Array.from({ length: READINGS }, (_, seq) =>
        client.publishAsync(deviceTopic(devices[i]!.id, 'telemetry'), reading(seq + 1), { qos: 1 }).then(() => acked++),
      ),
    );
    await expect.poll(() => gauge('sk_store_write_failures_total')).toBeGreaterThanOrEqual(3);
    expect(acked).toBe(0);
    expect(await gauge('sk_store_failing')).toBe(1);

    diskFull = false;
    await Promise.all(publishes);
    expect(acked).toBe(DEVICES * READINGS);
    for (const d of devices) expect(await server.store.telemetry.count(d.id)).toBe(READINGS);
    expect(connected.every(({ connects }) => connects() >= 2)).toBe(true);
    expect(await gauge('sk_store_failing')).toBe(0);
    recordFigures(task, { faultsInjected: await gauge('sk_store_write_failures_total'), acknowledged: acked, lost: 0 });
  });
});

type Device = Awaited<ReturnType<TestServer['provision']>>;

/** A sink whose writes wait between stall() and resume(): a store that has stalled (a slow disk, a long checkpoint). */
function stallableSink() {
  let release: (() => void) | undefined;
  let stalled: Promise<void> | undefined;
  return {
    stall() {
      stalled = new Promise((resolve) => (release = resolve));
    },
    resume() {
      release?.();
      stalled = undefined;
    },
    wrap: (sink: IngestSink): IngestSink => ({
      writeBatch: async (writes) => {
        if (stalled) await stalled;
        return sink.writeBatch(writes);
      },
    }),
  };
}

describe('overload: the broker stops reading devices while too many messages wait for a commit', () => {
  it('reads nothing more once the limit is reached, then stores and acknowledges every message once the store catches up', async ({ task }) => {
    const LIMIT = 8;
    const store = stallableSink();
    server = await startTestServer({ SK_MQTT_MAX_IN_FLIGHT: String(LIMIT) }, undefined, { wrapIngestSink: store.wrap });
    const [a, b, c, d] = (await Promise.all(['fridge-a', 'fridge-b', 'fridge-c', 'fridge-d'].map((id) => server!.provision({ id })))) as [Device, Device, Device, Device];
    const deviceA = await connectDevice(server.mqttUrl, a.id, a.secret);
    const deviceB = await connectDevice(server.mqttUrl, b.id, b.secret);
    clients.push(deviceA, deviceB);
    // A device on raw bytes, to send its last messages and hang up while it is not being read.
    const deviceC = await rawConnect(server.mqttUrl);
    deviceC.socket.write(connectPacket({ clientId: c.id, username: c.id, password: c.secret }));
    await deviceC.bytes(4);

    store.stall();
    let acked = 0;
    const fromA = Array.from({ length: 20 }, (_, i) =>
      deviceA.publishAsync(deviceTopic(a.id, 'telemetry'), reading(i + 1), { qos: 1 }).then(() => acked++),
    );
    await expect.poll(() => gauge('sk_mqtt_reads_paused')).toBe(1);
    const receivedWhenPaused = await gauge('sk_messages_received_total');
    expect(receivedWhenPaused).toBeGreaterThanOrEqual(LIMIT);

    // Another device's messages are not read while the gate is closed: without the
    // gate they would be handed to ingest within milliseconds.
    const fromB = Array.from({ length: 5 }, (_, i) =>
      deviceB.publishAsync(deviceTopic(b.id, 'telemetry'), reading(i + 1), { qos: 1 }).then(() => acked++),
    );
    // C's last two readings, then DISCONNECT and FIN, arrive while it is not read: they must not be lost.
    const topicC = deviceTopic(c.id, 'telemetry');
    deviceC.socket.end(Buffer.concat([1, 2].map((seq) => publishPacket({ topic: topicC, payload: reading(seq), qos: 1, id: seq })).concat(DISCONNECT)));
    // Logging in is not held up: a CONNECT is read while the gate is closed.
    const deviceD = await connectDevice(server.mqttUrl, d.id, d.secret);
    clients.push(deviceD);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await gauge('sk_messages_received_total')).toBe(receivedWhenPaused);
    expect(acked).toBe(0);

    store.resume();
    await Promise.all([...fromA, ...fromB]);
    expect(acked).toBe(25);
    expect(await server.store.telemetry.count(a.id)).toBe(20);
    expect(await server.store.telemetry.count(b.id)).toBe(5);
    await expect.poll(() => server!.store.telemetry.count(c.id)).toBe(2);
    expect(await gauge('sk_mqtt_reads_paused')).toBe(0);
    expect(await gauge('sk_mqtt_read_pauses_total')).toBeGreaterThanOrEqual(1);
    recordFigures(task, { faultsInjected: 1, acknowledged: acked, lost: 0 });
  });

  it('without a stall, a burst larger than the limit is read, stored and acknowledged in full', async () => {
    server = await startTestServer({ SK_MQTT_MAX_IN_FLIGHT: '4' });
    const devices = await Promise.all(Array.from({ length: 4 }, (_, i) => server!.provision({ id: `fridge-${i}` })));
    const connected = await Promise.all(devices.map((d) => connectDevice(server!.mqttUrl, d.id, d.secret)));
    clients.push(...connected);
    await Promise.all(
      connected.flatMap((client, i) =>
        Array.from({ length: 50 }, (_, seq) => client.publishAsync(deviceTopic(devices[i]!.id, 'telemetry'), reading(seq + 1), { qos: 1 })),
      ),
    );
    for (const d of devices) expect(await server.store.telemetry.count(d.id)).toBe(50);
    expect(await gauge('sk_mqtt_read_pauses_total')).toBeGreaterThanOrEqual(1);
    expect(await gauge('sk_mqtt_reads_paused')).toBe(0);
  });
});
