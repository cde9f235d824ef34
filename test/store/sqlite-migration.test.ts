import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteParts, type SqliteOptions } from '../../store/sqlite/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import { newDevice, seedTree, T0 } from './store-contract.js';

const reading = (seq: number, temperatureC: number, boot = 'b1'): TelemetryRecord => ({
  deviceId: 'fridge-1',
  kind: 'temperature',
  ts: T0 + seq * 30_000,
  seq,
  boot,
  receivedAt: T0 + seq * 30_000 + 5,
  values: { temperatureC, humidityPct: 50 },
});

type SchemaChange = Parameters<NonNullable<SqliteOptions['onSchemaChange']>>[0];

describe('SQLite schema migration: one index per reading', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sk-migrate-'));
    file = join(dir, 'store.db');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const open = (changes: SchemaChange[] = []) => openSqliteParts({ file, synchronous: 'normal', onSchemaChange: (c) => changes.push(c) });
  const write = (parts: ReturnType<typeof open>, readings: TelemetryRecord[]) =>
    parts.store.ingestSink.writeBatch([{ readings, findings: [], quarantine: [] }]);
  const indexesOf = (table: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare(`PRAGMA index_list(${table})`).all() as { name: string; unique: number; origin: string }[]).map((i) => ({ name: i.name, unique: i.unique === 1, origin: i.origin }));
    } finally {
      db.close();
    }
  };

  it('gives a new file one unique index per telemetry table, which recognises a resend by (device, ts, seq, boot)', async () => {
    const parts = open();
    await seedTree(parts.store.registry);
    await parts.store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw', T0);
    expect(await write(parts, [reading(1, 4), reading(2, 5)])).toEqual([{ readingsInserted: [true, true], findingsInserted: [] }]);
    expect(await write(parts, [reading(2, 5), reading(3, 6)])).toEqual([{ readingsInserted: [false, true], findingsInserted: [] }]);
    // A counter that wrapped or was reset under the same boot id: a new time makes it a new reading, kept rather than dropped.
    const reused = { ...reading(2, 9), ts: T0 + 3_600_000 };
    expect(await write(parts, [reused])).toEqual([{ readingsInserted: [true], findingsInserted: [] }]);
    expect(await parts.store.telemetry.count('fridge-1')).toBe(4);
    await parts.store.close();
    expect(indexesOf('telemetry_temperature')).toEqual([{ name: 'telemetry_temperature_reading', unique: true, origin: 'c' }]);
  });

  it('rebuilds a table made with the old (device, boot, seq) constraint once, keeping every row and its rowid', async () => {
    // The schema as earlier releases made it: an inline unique constraint and a separate history index.
    const seeded = open();
    await seedTree(seeded.store.registry);
    await seeded.store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw', T0);
    await seeded.store.close();
    const legacy = new Database(file);
    legacy.exec(`
      DROP TABLE telemetry_temperature;
      CREATE TABLE telemetry_temperature (
        device_key INTEGER NOT NULL, ts INTEGER NOT NULL, boot TEXT NOT NULL, seq INTEGER NOT NULL, received_at INTEGER NOT NULL,
        "temperatureC" REAL, "humidityPct" REAL,
        UNIQUE (device_key, boot, seq)
      );
      CREATE INDEX telemetry_temperature_history ON telemetry_temperature(device_key, ts, "temperatureC");
    `);
    const key = (legacy.prepare("SELECT key FROM devices WHERE id = 'fridge-1'").get() as { key: number }).key;
    const insert = legacy.prepare('INSERT INTO telemetry_temperature (rowid, device_key, ts, boot, seq, received_at, "temperatureC", "humidityPct") VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    // Rowids with gaps, as pruning leaves them: the rollups' watermarks must still point at the same rows.
    for (const [rowid, r] of [[10, reading(1, 4)], [11, reading(2, 5)], [40, reading(3, 6)]] as const) {
      insert.run(rowid, key, r.ts, r.boot, r.seq, r.receivedAt, r.values.temperatureC, r.values.humidityPct);
    }
    legacy.close();

    const changes: SchemaChange[] = [];
    const parts = open(changes);
    expect(changes).toEqual([expect.objectContaining({ table: 'telemetry_temperature', rows: 3 })]);
    const rows = parts.db.prepare('SELECT rowid AS id, seq, "temperatureC" AS t FROM telemetry_temperature ORDER BY rowid').all();
    expect(rows).toEqual([{ id: 10, seq: 1, t: 4 }, { id: 11, seq: 2, t: 5 }, { id: 40, seq: 3, t: 6 }]);
    // Columns the catalogue added since the old schema are there too.
    const columns = (parts.db.prepare('PRAGMA table_info(telemetry_temperature)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['temperatureC', 'humidityPct', 'doorOpen', 'batteryPct']));
    // A resend of a reading stored under the old schema is still recognised; history reads the rebuilt table.
    expect(await write(parts, [reading(3, 6), reading(4, 7)])).toEqual([{ readingsInserted: [false, true], findingsInserted: [] }]);
    expect(await parts.store.telemetry.latest([{ id: 'fridge-1', kind: 'temperature' }])).toEqual([reading(4, 7)]);
    await parts.store.close();
    expect(indexesOf('telemetry_temperature')).toEqual([{ name: 'telemetry_temperature_reading', unique: true, origin: 'c' }]);

    // Once: the next open finds nothing to rebuild.
    const again: SchemaChange[] = [];
    await open(again).store.close();
    expect(again).toEqual([]);
  });
});
