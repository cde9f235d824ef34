import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DEVICE_KINDS, FIELDS_BY_KIND, type DeviceKind } from '../../contracts/index.js';
import { ALERT_SCHEMA } from './alert-schema.js';
import { ACCOUNTS_SCHEMA } from './accounts.js';
import { AUDIT_SCHEMA } from './audit.js';

export type SqliteDatabase = Database.Database;

/**
 * `full` syncs the WAL on every commit: a committed reading survives a power cut.
 * `normal` survives a process crash (SIGKILL) but may lose the last commits on
 * power loss. PUBACK waits for the commit either way.
 */
export type SqliteSynchronous = 'full' | 'normal';

export interface SqliteOptions {
  /** A file path, or ':memory:' for tests that need no file. */
  file: string;
  synchronous?: SqliteSynchronous;
  /** Told of each one-off schema rebuild at open (they take long on a large file, so the owner can log them). */
  onSchemaChange?: (change: { table: string; change: string; rows: number; ms: number }) => void;
}

export function telemetryTable(kind: DeviceKind): string {
  return `telemetry_${kind}`;
}

/** The log where a kind's readings wait, durable, to be folded into {@link telemetryTable} (staged-readings.ts). */
export function stagedTable(kind: DeviceKind): string {
  return `telemetry_${kind}_staged`;
}

/** The fields the reading index covers after (device_key, ts, seq, boot): the kind's required ones. */
export function indexedFields(kind: DeviceKind): string[] {
  const catalogue = FIELDS_BY_KIND[kind];
  return Object.keys(catalogue).filter((f) => catalogue[f]!.required);
}

export function openDatabase(options: SqliteOptions): SqliteDatabase {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  // Readers and the ingest writer share the file; wait rather than fail on a brief lock.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db, options.onSchemaChange);
  return db;
}

const BASE_SCHEMA = `
CREATE TABLE IF NOT EXISTS regions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('city', 'district', 'township')),
  parent_id TEXT REFERENCES regions(id),
  path TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS sites (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  region_id TEXT NOT NULL REFERENCES regions(id),
  address TEXT,
  timezone TEXT NOT NULL,
  active INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sites_region ON sites(region_id);
CREATE TABLE IF NOT EXISTS devices (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  site_id TEXT NOT NULL REFERENCES sites(id),
  kind TEXT NOT NULL,
  label TEXT NOT NULL,
  profile TEXT NOT NULL,
  expected_interval_s INTEGER NOT NULL,
  secret_salt BLOB NOT NULL,
  secret_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  online INTEGER NOT NULL DEFAULT 0,
  presence_changed_at INTEGER
);
CREATE INDEX IF NOT EXISTS devices_site ON devices(site_id);
-- Only the devices online: marking them offline at start reads these, not the whole fleet.
CREATE INDEX IF NOT EXISTS devices_online ON devices(key) WHERE online = 1;
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY,
  device_id TEXT,
  channel TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  payload BLOB NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS quarantine_device ON quarantine(device_id, id);
CREATE TABLE IF NOT EXISTS camera_findings (
  device_key INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  boot TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  confidence REAL NOT NULL,
  zone TEXT,
  snapshot_url TEXT,
  received_at INTEGER NOT NULL,
  UNIQUE (device_key, boot, seq)
);
CREATE INDEX IF NOT EXISTS camera_findings_time ON camera_findings(device_key, ts);
`;

/** A telemetry table's own columns and their types; the kind's fields follow as REAL columns. */
const READING_COLUMNS = { device_key: 'INTEGER', ts: 'INTEGER', boot: 'TEXT', seq: 'INTEGER', received_at: 'INTEGER' } as const;

/**
 * The one index of a telemetry table, and the only per-device B-tree a reading
 * touches. It is unique, so a resend is ignored by the insert itself (and
 * de-duplication survives restarts); it serves every per-device time range
 * (history, latest); and it covers the kind's required fields (temperatureC,
 * greaseMm and fillPct, online and streaming), so a chart of those reads the
 * index alone. Without the field in it, a week of one device (60,480 readings)
 * cost 60,480 table-row lookups spread over the file: about 90 ms with 10M
 * readings stored, against a 20 ms target.
 *
 * Before, a reading went into two per-device indexes, a unique (device, boot,
 * seq) and this one without boot and seq: each group commit dirtied two index
 * pages per reading, and the commit cost a third more (bench/README.md, "Third
 * pass"). A resend repeats the reading whole, so (device, ts, seq, boot) and the
 * covered values are equal and it is still recognised; what changes is that a
 * device reusing a (boot, seq) for another timestamp (a wrapped or reset counter)
 * has that reading stored instead of dropped as a resend.
 */
function readingIndex(db: SqliteDatabase, kind: DeviceKind): void {
  const table = telemetryTable(kind);
  const covered = indexedFields(kind);
  db.exec(`
    CREATE UNIQUE INDEX IF NOT EXISTS ${table}_reading ON ${table}(device_key, ts, seq, boot${covered.map((f) => `, "${f}"`).join('')});
    DROP INDEX IF EXISTS ${table}_history;
    DROP INDEX IF EXISTS ${table}_time;
  `);
}

/** A table created before one index per reading carries UNIQUE (device_key, boot, seq), an index that cannot be dropped alone. */
function hasLegacyUniqueConstraint(db: SqliteDatabase, table: string): boolean {
  return (db.prepare(`PRAGMA index_list(${table})`).all() as { origin: string }[]).some((i) => i.origin === 'u');
}

/**
 * Rebuilds a telemetry table without its legacy constraint, keeping every row
 * and its rowid (the rollups' watermarks are rowids). Runs once per table, in
 * one transaction; the new index is built after it.
 */
function rebuildWithoutLegacyUnique(db: SqliteDatabase, table: string): number {
  const names = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  const columns = names.map((n) => `"${n}"`).join(', ');
  const fields = names.filter((n) => !Object.hasOwn(READING_COLUMNS, n)).map((n) => `"${n}" REAL`);
  let rows = 0;
  db.transaction(() => {
    db.exec(createTelemetryTable(`${table}_rebuilt`, fields));
    rows = db.prepare(`INSERT INTO ${table}_rebuilt (rowid, ${columns}) SELECT rowid, ${columns} FROM ${table} ORDER BY rowid`).run().changes;
    db.exec(`DROP TABLE ${table}; ALTER TABLE ${table}_rebuilt RENAME TO ${table};`);
  })();
  return rows;
}

/**
 * The kind's staged log: the same columns as its telemetry table, no index, and
 * rowids that only grow (AUTOINCREMENT), so "every row up to this one" never
 * comes to mean a row appended later. A field added to the catalogue is added here too.
 */
function stagedLog(db: SqliteDatabase, kind: DeviceKind): void {
  const table = stagedTable(kind);
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY AUTOINCREMENT, ${readingColumns().join(', ')});`);
  addFieldColumns(db, table, kind);
}

/** The reading's own columns, as column definitions. */
function readingColumns(): string[] {
  return Object.entries(READING_COLUMNS).map(([name, type]) => `${name} ${type} NOT NULL`);
}

function createTelemetryTable(table: string, fieldColumns: string[] = []): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (${[...readingColumns(), ...fieldColumns].join(', ')});`;
}

/** Adds a REAL column for each field of the kind's catalogue the table lacks (ALTER TABLE keeps existing rows). */
function addFieldColumns(db: SqliteDatabase, table: string, kind: DeviceKind): void {
  const existing = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
  for (const field of Object.keys(FIELDS_BY_KIND[kind])) {
    if (!existing.has(field)) db.exec(`ALTER TABLE ${table} ADD COLUMN "${field}" REAL`);
  }
}

/**
 * Creates the schema. Telemetry tables are generated from the field catalogue in
 * contracts/device-kinds.ts: a field added there becomes a column here on the
 * next start (ALTER TABLE ADD COLUMN keeps existing rows). Telemetry rows refer
 * to devices by their integer key, not their text id, to keep the index small.
 */
function migrate(db: SqliteDatabase, onSchemaChange?: SqliteOptions['onSchemaChange']): void {
  db.exec(BASE_SCHEMA);
  db.exec(ALERT_SCHEMA);
  db.exec(ACCOUNTS_SCHEMA);
  db.exec(AUDIT_SCHEMA);
  for (const kind of DEVICE_KINDS) {
    const table = telemetryTable(kind);
    db.exec(createTelemetryTable(table));
    const started = performance.now();
    const rebuilt = hasLegacyUniqueConstraint(db, table) ? rebuildWithoutLegacyUnique(db, table) : undefined;
    addFieldColumns(db, table, kind);
    stagedLog(db, kind);
    // After the columns: the index names fields a new catalogue may just have added.
    readingIndex(db, kind);
    if (rebuilt !== undefined) {
      onSchemaChange?.({ table, change: 'rebuilt with one index per reading', rows: rebuilt, ms: Math.round(performance.now() - started) });
    }
  }
}
