import { DEVICE_KINDS, FIELDS_BY_KIND, type DeviceKind } from '../../contracts/index.js';
import { telemetryTable, type SqliteDatabase } from './database.js';
import type Database from 'better-sqlite3';

export const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Row of telemetry_rollup_state that holds the raw cutoff of the last prune (epoch ms), not a rowid. */
const PRUNED_KEY = '*pruned_before';

/** Temperature band of a device profile (°C, inclusive); null: no limit on that side. */
export interface TemperatureBand {
  minC: number | null;
  maxC: number | null;
}

export interface RollupOptions {
  /** The band "time in range" is measured against, per device profile; undefined: not measured. */
  bandOf?: (profile: string) => TemperatureBand | undefined;
  /** Most raw rows one run takes up per kind, so a run after a long pause stays short. */
  maxRowsPerRun?: number;
}

/** One hour of one field of one device. */
export interface HourlyRollup {
  hour: number;
  min: number;
  max: number;
  sum: number;
  mean: number;
  count: number;
  /** Temperature only: ms of the hour the device was inside its profile's band, and ms it was observed. */
  inRangeMs: number | null;
  observedMs: number | null;
}

/**
 * Hourly rollups of the SQLite telemetry: min, max, sum, count (and mean) per
 * device, field and UTC hour, plus for `temperatureC` the time inside the device
 * profile's band. Kept much longer than raw readings, and read by history queries
 * whose buckets are an hour or more.
 *
 * Maintained off the ingest path by {@link Rollups.run}: every raw row above the
 * kind's watermark (its rowid; rows only get larger rowids) marks its device-hours
 * dirty, and each dirty hour is recomputed from the raw rows, in one transaction
 * with the new watermark. A crash before the commit changes nothing; a second run
 * recomputes the same hours to the same values. Invariant the reader relies on: a
 * rollup row aggregates exactly the raw rows of its hour whose rowid is at or below
 * the watermark.
 *
 * Time in range: a reading holds until the next one, for at most three expected
 * intervals (a silent sensor is not counted as in range); `observedMs` says how much
 * of the hour that covers.
 */
export class Rollups {
  private readonly stmt;
  private readonly aggregate: Record<DeviceKind, Database.Statement<[number, number, number], Record<string, number | null>>>;
  private readonly temperatureSpan: Database.Statement<[number, number, number], { ts: number; v: number; next: number | null }>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly options: RollupOptions = {},
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS telemetry_rollup_hourly (
        device_key INTEGER NOT NULL,
        field TEXT NOT NULL,
        hour INTEGER NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        sum REAL NOT NULL,
        count INTEGER NOT NULL,
        mean REAL NOT NULL,
        in_range_ms INTEGER,
        observed_ms INTEGER,
        PRIMARY KEY (device_key, field, hour)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS telemetry_rollup_state (kind TEXT PRIMARY KEY, last_rowid INTEGER NOT NULL);
    `);
    this.stmt = {
      watermark: db.prepare<[string], { last_rowid: number }>('SELECT last_rowid FROM telemetry_rollup_state WHERE kind = ?'),
      setWatermark: db.prepare('INSERT INTO telemetry_rollup_state (kind, last_rowid) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET last_rowid = excluded.last_rowid'),
      clearHour: db.prepare('DELETE FROM telemetry_rollup_hourly WHERE device_key = ? AND hour = ?'),
      insert: db.prepare(
        `INSERT INTO telemetry_rollup_hourly (device_key, field, hour, min, max, sum, count, mean, in_range_ms, observed_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      device: db.prepare<[number], { profile: string; expected_interval_s: number }>('SELECT profile, expected_interval_s FROM devices WHERE key = ?'),
      deviceKeys: db.prepare<[], { key: number }>('SELECT key FROM devices'),
      hourly: db.prepare<[number, string, number, number], { hour: number; min: number; max: number; sum: number; mean: number; count: number; in_range_ms: number | null; observed_ms: number | null }>(
        'SELECT hour, min, max, sum, mean, count, in_range_ms, observed_ms FROM telemetry_rollup_hourly WHERE device_key = ? AND field = ? AND hour >= ? AND hour < ? ORDER BY hour',
      ),
    };
    this.aggregate = Object.fromEntries(
      DEVICE_KINDS.map((kind) => {
        const parts = Object.keys(FIELDS_BY_KIND[kind]).map((f, i) => `min("${f}") AS min${i}, max("${f}") AS max${i}, sum("${f}") AS sum${i}, count("${f}") AS count${i}`);
        return [kind, db.prepare(`SELECT ${parts.join(', ')} FROM ${telemetryTable(kind)} WHERE device_key = ? AND ts >= ? AND ts < ?`)];
      }),
    ) as Record<DeviceKind, Database.Statement<[number, number, number], Record<string, number | null>>>;
    this.temperatureSpan = db.prepare(
      `SELECT ts, "temperatureC" AS v, lead(ts) OVER (ORDER BY ts) AS next FROM ${telemetryTable('temperature')}
       WHERE device_key = ? AND ts >= ? AND ts < ? AND "temperatureC" IS NOT NULL ORDER BY ts`,
    );
  }

  /** The rowid up to which a kind's raw rows are in the rollups. */
  watermark(kind: DeviceKind): number {
    return this.stmt.watermark.get(kind)?.last_rowid ?? 0;
  }

  /**
   * Brings the rollups up to date with the raw rows (at most `maxRowsPerRun` per
   * kind). Hours before the last prune are left as they are: their raw rows are
   * gone, so a very late reading there must not replace the hour's rollup with
   * itself alone. Returns how many device-hours were recomputed.
   */
  run(): number {
    const prunedBefore = this.stmt.watermark.get(PRUNED_KEY)?.last_rowid ?? 0;
    let hours = 0;
    for (const kind of DEVICE_KINDS) hours += this.db.transaction(() => this.runKind(kind, prunedBefore))();
    return hours;
  }

  /** Raw rows not yet in the rollups. */
  private pending(kind: DeviceKind): boolean {
    return this.maxRowid(kind) > this.watermark(kind);
  }

  private maxRowid(kind: DeviceKind): number {
    return (this.db.prepare(`SELECT max(rowid) AS m FROM ${telemetryTable(kind)}`).get() as { m: number | null }).m ?? 0;
  }

  private runKind(kind: DeviceKind, rawCutoff: number): number {
    const table = telemetryTable(kind);
    let from = this.watermark(kind);
    const max = this.maxRowid(kind);
    // Only if pruning emptied the table and rowids started again from 1.
    if (max < from) from = 0;
    const through = Math.min(max, from + (this.options.maxRowsPerRun ?? 200_000));
    if (through <= from) return 0;
    const touched = this.db
      .prepare(`SELECT DISTINCT device_key AS key, (ts / ${HOUR_MS}) * ${HOUR_MS} AS hour FROM ${table} WHERE rowid > ? AND rowid <= ?`)
      .all(from, through) as { key: number; hour: number }[];
    const dirty = new Map<string, { key: number; hour: number }>();
    for (const t of touched) {
      // A temperature reading also changes how long its neighbours held: the hours before and after.
      for (const hour of kind === 'temperature' ? [t.hour - HOUR_MS, t.hour, t.hour + HOUR_MS] : [t.hour]) {
        if (hour >= rawCutoff) dirty.set(`${t.key}:${hour}`, { key: t.key, hour });
      }
    }
    for (const { key, hour } of dirty.values()) this.recompute(kind, key, hour);
    this.stmt.setWatermark.run(kind, through);
    return dirty.size;
  }

  private recompute(kind: DeviceKind, key: number, hour: number): void {
    this.stmt.clearHour.run(key, hour);
    const row = this.aggregate[kind].get(key, hour, hour + HOUR_MS)!;
    Object.keys(FIELDS_BY_KIND[kind]).forEach((field, i) => {
      const count = row[`count${i}`] ?? 0;
      if (count === 0) return;
      const sum = row[`sum${i}`]!;
      const range = kind === 'temperature' && field === 'temperatureC' ? this.timeInRange(key, hour) : undefined;
      this.stmt.insert.run(key, field, hour, row[`min${i}`], row[`max${i}`], sum, count, sum / count, range?.inRangeMs ?? null, range?.observedMs ?? null);
    });
  }

  private timeInRange(key: number, hour: number): { inRangeMs: number; observedMs: number } | undefined {
    const device = this.stmt.device.get(key);
    const band = device && this.options.bandOf?.(device.profile);
    if (!device || !band) return undefined;
    const holdMs = Math.min(HOUR_MS, Math.max(60_000, 3 * device.expected_interval_s * 1000));
    const end = hour + HOUR_MS;
    let inRangeMs = 0;
    let observedMs = 0;
    // Readings from one hold before the hour (they may reach into it) to one hold after (the last one's successor).
    for (const r of this.temperatureSpan.all(key, hour - holdMs, end + holdMs)) {
      const start = Math.max(r.ts, hour);
      const stop = Math.min(r.next ?? Infinity, r.ts + holdMs, end);
      if (stop <= start) continue;
      observedMs += stop - start;
      if ((band.minC === null || r.v >= band.minC) && (band.maxC === null || r.v <= band.maxC)) inRangeMs += stop - start;
    }
    return { inRangeMs, observedMs };
  }

  /** The stored rollups of one device and field with `from <= hour < to`. */
  hourly(key: number, field: string, from: number, to: number): HourlyRollup[] {
    return this.stmt.hourly.all(key, field, from, to).map((r) => ({
      hour: r.hour,
      min: r.min,
      max: r.max,
      sum: r.sum,
      mean: r.mean,
      count: r.count,
      inRangeMs: r.in_range_ms,
      observedMs: r.observed_ms,
    }));
  }

  /**
   * Deletes raw readings older than `rawDays` and rollups older than `rollupDays`
   * (only once the rollups have caught up, so no hour is lost between the two).
   * Device by device, so each delete walks an index range. Returns the rows removed.
   */
  prune(now: number, retention: { rawDays: number; rollupDays: number }): { raw: number; rollups: number } {
    // Whole hours only, so no hour is left with part of its raw rows.
    const rawCutoff = Math.floor((now - retention.rawDays * DAY_MS) / HOUR_MS) * HOUR_MS;
    // Raw rows go only once every hour is rolled up. Catching up after a long pause
    // (or on the first start with old data) is left to the periodic runs, a bounded
    // slice each, so a prune never blocks ingest for long.
    this.run();
    if (DEVICE_KINDS.some((kind) => this.pending(kind))) return { raw: 0, rollups: 0 };
    this.stmt.setWatermark.run(PRUNED_KEY, rawCutoff);
    let raw = 0;
    let rollups = 0;
    const keys = this.stmt.deviceKeys.all().map((d) => d.key);
    for (const kind of DEVICE_KINDS) {
      const remove = this.db.prepare(`DELETE FROM ${telemetryTable(kind)} WHERE device_key = ? AND ts < ?`);
      for (const key of keys) raw += remove.run(key, rawCutoff).changes;
    }
    const removeRollups = this.db.prepare('DELETE FROM telemetry_rollup_hourly WHERE device_key = ? AND field = ? AND hour < ?');
    const fields = [...new Set(DEVICE_KINDS.flatMap((k) => Object.keys(FIELDS_BY_KIND[k])))];
    for (const key of keys) for (const field of fields) rollups += removeRollups.run(key, field, now - retention.rollupDays * DAY_MS).changes;
    return { raw, rollups };
  }
}
