import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../contracts/index.js';
import type { IngestSink } from '../../store/index.js';
import { dbFile } from '../../soak/store-check.js';
import { recordFigures } from '../helpers/figures.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Fault item 10, the SQLite part: the store cannot write (locked by another
 * writer, disk full). No PUBACK goes out for what was not written; the broker
 * closes those connections, devices keep the readings and resend them after
 * reconnecting; once the store writes again everything is stored exactly once.
 * Meanwhile the failure shows: an error log, `sk_store_write_failures_total`,
 * `sk_store_failing` = 1 and GET /ready answering 503.
 * (InfluxDB outages are handled by the Influx outbox, tested with that adapter.)
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
