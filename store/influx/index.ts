import type { Store } from '../index.js';
import { DevicePlaces } from '../sqlite/device-places.js';
import { openSqliteParts, type SqliteStoreOptions } from '../sqlite/index.js';
import { SqliteOutbox } from '../sqlite/outbox.js';
import { InfluxForwarder, type ForwarderOptions } from './forwarder.js';
import { InfluxLineWriter, type InfluxConnection, type LineWriter } from './line-writer.js';
import { readingLine } from './points.js';
import { InfluxTelemetryReader } from './reader.js';

export { InfluxForwarder, type ForwarderOptions, type ForwarderStatus } from './forwarder.js';
export { InfluxWriteError, type InfluxConnection } from './line-writer.js';
export { checkInflux, InfluxStartupError } from './startup-check.js';

export interface InfluxStoreOptions {
  /** Registry, alerts, accounts, quarantine and the outbox stay in this SQLite file. */
  sqlite: SqliteStoreOptions;
  influx: InfluxConnection;
  forwarder?: Omit<ForwarderOptions, 'outbox' | 'writer'>;
  /** Tests may put another writer between the forwarder and the server. */
  writer?: LineWriter;
  clock?: () => number;
}

export interface InfluxStore extends Store {
  forwarder: InfluxForwarder;
  outbox: SqliteOutbox;
}

/**
 * Telemetry in InfluxDB behind a durable outbox; everything else in SQLite.
 * Ingest writes readings to the outbox (PUBACK waits for that commit), the
 * forwarder moves them to InfluxDB, reads go to InfluxDB through Flux.
 */
export function openInfluxStore(options: InfluxStoreOptions): InfluxStore {
  const { store, db, keys, commits } = openSqliteParts(options.sqlite);
  const clock = options.clock ?? Date.now;
  const places = new DevicePlaces(db, 60_000, clock);
  const outbox = new SqliteOutbox(db, keys, commits, (record) => readingLine(record, places.of(record.deviceId)), clock);
  const batchSize = options.forwarder?.batchSize ?? 5_000;
  const writer = options.writer ?? new InfluxLineWriter(options.influx, batchSize);
  const forwarder = new InfluxForwarder({ ...options.forwarder, batchSize, outbox, writer });
  outbox.onEnqueued(() => forwarder.notify());
  forwarder.start();
  return {
    ...store,
    telemetry: new InfluxTelemetryReader(options.influx),
    ingestSink: outbox,
    forwarder,
    outbox,
    async close() {
      await forwarder.close();
      await store.close();
    },
  };
}
