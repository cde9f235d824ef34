import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DAY_MS, DEVICE_KINDS, HOUR_MS, type DeviceKind } from '../../contracts/index.js';
import { deleteInChunks, type DeleteTarget } from './chunked-delete.js';
import { telemetryTable, type SqliteDatabase } from './database.js';
import { COLUMNS } from './kind-columns.js';
import type Database from 'better-sqlite3';
import type { StagedReadings } from './staged-readings.js';

/** Row of telemetry_rollup_state that holds the raw cutoff of the last prune (epoch ms), not a rowid. */
const PRUNED_KEY = '*pruned_before';
/**
 * Rows of telemetry_rollup_state with lower bounds (epoch ms), not rowids: every raw
 * row at or below its kind's watermark has `ts` at or after OLDEST_RAW_KEY's value,
 * and every rollup an `hour` at or after OLDEST_ROLLUP_KEY's. Absent: not known yet.
 */
const OLDEST_RAW_KEY = '*oldest_raw';
const OLDEST_ROLLUP_KEY = '*oldest_rollup';
/** The bound recorded when no row is left: any row that comes lowers it. */
const NO_ROWS = Number.MAX_SAFE_INTEGER;
/** Raw rows read per query while finding the hours a run must recompute: one such query (and its devices' intervals) holds the event loop. */
const PLAN_ROWS = 4_000;

/** Temperature band of a device profile (°C, inclusive); null: no limit on that side. */
export interface TemperatureBand {
  minC: number | null;
  maxC: number | null;
}

export interface RollupOptions {
  /** The band "time in range" is measured against, per device profile; undefined: not measured. */
  bandOf?: (profile: string) => TemperatureBand | undefined;
  /** Most raw rows one pass takes up per kind (default: no limit but the device-hours'). */
  maxRowsPerRun?: number;
  /**
   * A pass stops taking up rows once they change this many device-hours (default
   * 200,000), so a pass after a long pause stays bounded in memory and time, while
   * a steady minute of a fast fleet is one pass: every pass recomputes each hour it
   * touches from all its raw rows, so splitting a minute into passes repeats that.
   */
  maxDeviceHoursPerRun?: number;
  /** Most device-hours recomputed in one transaction; runs yield to the event loop between slices. */
  sliceDeviceHours?: number;
  /** Most rows one prune transaction deletes; prunes yield to the event loop between chunks. */
  pruneChunkRows?: number;
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
  /** The rollup holds the raw rows of its hour with a rowid up to this one (null: written before this was recorded). */
  lastRowid: number | null;
}

/** One field's rollup of one device-hour as stored, with what extending it needs. */
interface StoredHour {
  field: string;
  min: number;
  max: number;
  sum: number;
  count: number;
  in_range_ms: number | null;
  observed_ms: number | null;
  last_rowid: number | null;
  /** Latest `ts` among the raw rows (of any field) the rollup holds; null: written before this was recorded. */
  last_ts: number | null;
  /** temperatureC: the hour's latest reading, the end of the time it was counted for, and whether it was in the band. */
  tail_ts: number | null;
  tail_until: number | null;
  tail_in_range: number | null;
}

/** Time in range of one device-hour, and the reading whose hold the next one may cut short. */
interface TimeInRange {
  inRangeMs: number;
  observedMs: number;
  tail: { ts: number; until: number; inRange: boolean } | undefined;
}

/** A device-hour a pass must bring up to date. */
interface DirtyHour {
  key: number;
  hour: number;
  /** Earliest `ts` among the pass's rows in this hour; undefined: none, the hour is dirty through an earlier hour's hold. */
  first: number | undefined;
  /** An earlier hour's reading in the pass holds into this one: its time in range changes before `first`. */
  heldInto: boolean;
}

/** How long a temperature reading holds: three expected intervals, at least a minute, at most an hour. */
function holdMs(expectedIntervalS: number): number {
  return Math.min(HOUR_MS, Math.max(60_000, 3 * expectedIntervalS * 1000));
}

function inBand(band: TemperatureBand, v: number): boolean {
  return (band.minC === null || v >= band.minC) && (band.maxC === null || v <= band.maxC);
}

/** The time in range a stored temperatureC rollup holds; undefined when it has none (not measured, or written before tails were kept). */
function storedRange(r: StoredHour): TimeInRange | undefined {
  if (r.in_range_ms === null || r.observed_ms === null) return undefined;
  const tail = r.tail_ts === null || r.tail_until === null ? undefined : { ts: r.tail_ts, until: r.tail_until, inRange: r.tail_in_range === 1 };
  return { inRangeMs: r.in_range_ms, observedMs: r.observed_ms, tail };
}

/**
 * Hourly rollups of the SQLite telemetry: min, max, sum, count (and mean) per
 * device, field and UTC hour, plus for `temperatureC` the time inside the device
 * profile's band. Kept much longer than raw readings, and read by history queries
 * whose buckets are an hour or more.
 *
 * Maintained off the ingest path by {@link Rollups.run}: the raw rows above the
 * kind's watermark (its rowid; rows only get larger rowids, see {@link Rollups.prune})
 * up to a run's end `through` mark their device-hours dirty; each dirty hour is
 * recomputed from its raw rows with a rowid up to `through`, a slice of hours per
 * transaction, and the last slice moves the watermark to `through`. Invariants the
 * reader relies on: a rollup row aggregates exactly the raw rows of its hour whose
 * rowid is at most its `last_rowid`, and every raw row at or below the watermark is
 * in its hour's rollup. A crash between slices leaves hours recomputed ahead of
 * the watermark (their `last_rowid` says so); the next run recomputes them again.
 *
 * Time in range: a reading holds until the next one, for at most three expected
 * intervals (a silent sensor is not counted as in range); `observedMs` says how much
 * of the hour that covers. A new reading therefore changes its own hour, and the
 * next hour only when its hold reaches past the hour's end; never the hour before.
 *
 * Extending, not recomputing: a device reporting in order brings rows later than
 * everything its current hour holds. Such an hour is extended from the new rows
 * alone: their min, max, sum and count merge into the stored ones, and the time in
 * range moves on from the stored tail (the hour's latest reading, whose hold the
 * first new one cuts short). Recomputing instead read every row of the hour at
 * every pass: at a minute's cadence each row about thirty times, 37 % of a core
 * for a city (bench/README.md, "Tenth pass"). An hour is recomputed when a row is
 * not later than what it holds (late or out of order), an earlier hour's reading
 * holds into it, or it holds rows past the watermark (a crashed pass). Extended
 * time in range counts each reading by the band and hold in force when it was
 * rolled up; a recompute applies today's to the whole hour.
 *
 * Runs and prunes take turns (one at a time) and yield to the event loop between
 * their transactions, so ingest's commits and the network are never held up for
 * more than one slice.
 */
export class Rollups {
  private readonly stmt;
  private readonly aggregate: Record<DeviceKind, Database.Statement<[number, number, number, number], Record<string, number | null>>>;
  private readonly temperatureSpan: Database.Statement<[number, number, number, number], { ts: number; v: number; next: number | null }>;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Device-hours brought up to date since start, by how (for benchmarks and tests). */
  readonly updates = { extended: 0, recomputed: 0 };

  constructor(
    private readonly db: SqliteDatabase,
    private readonly options: RollupOptions = {},
    /** Readings acknowledged and not yet in the telemetry tables: each pass waits for them to be folded in first. */
    private readonly staged?: Pick<StagedReadings, 'folded'>,
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
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(telemetry_rollup_hourly)').all();
    for (const [column, type] of [['last_rowid', 'INTEGER'], ['last_ts', 'INTEGER'], ['tail_ts', 'INTEGER'], ['tail_until', 'INTEGER'], ['tail_in_range', 'INTEGER']]) {
      if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE telemetry_rollup_hourly ADD COLUMN ${column} ${type}`);
    }
    this.stmt = {
      watermark: db.prepare<[string], { last_rowid: number }>('SELECT last_rowid FROM telemetry_rollup_state WHERE kind = ?'),
      setWatermark: db.prepare('INSERT INTO telemetry_rollup_state (kind, last_rowid) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET last_rowid = excluded.last_rowid'),
      clearHour: db.prepare('DELETE FROM telemetry_rollup_hourly WHERE device_key = ? AND hour = ?'),
      insert: db.prepare(
        `INSERT INTO telemetry_rollup_hourly
           (device_key, field, hour, min, max, sum, count, mean, in_range_ms, observed_ms, last_rowid, last_ts, tail_ts, tail_until, tail_in_range)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      storedHour: db.prepare<[number, number], StoredHour>(
        `SELECT field, min, max, sum, count, in_range_ms, observed_ms, last_rowid, last_ts, tail_ts, tail_until, tail_in_range
         FROM telemetry_rollup_hourly WHERE device_key = ? AND hour = ?`,
      ),
      temperatureFrom: db.prepare<[number, number, number, number], { ts: number; v: number }>(
        `SELECT ts, "temperatureC" AS v FROM ${telemetryTable('temperature')}
         WHERE device_key = ? AND ts >= ? AND ts < ? AND rowid <= ? AND "temperatureC" IS NOT NULL ORDER BY ts`,
      ),
      device: db.prepare<[number], { profile: string; expected_interval_s: number }>('SELECT profile, expected_interval_s FROM devices WHERE key = ?'),
      devices: db.prepare<[], { key: number; kind: DeviceKind }>('SELECT key, kind FROM devices ORDER BY key'),
      hourly: db.prepare<[number, string, number, number], { hour: number; min: number; max: number; sum: number; mean: number; count: number; in_range_ms: number | null; observed_ms: number | null; last_rowid: number | null }>(
        'SELECT hour, min, max, sum, mean, count, in_range_ms, observed_ms, last_rowid FROM telemetry_rollup_hourly WHERE device_key = ? AND field = ? AND hour >= ? AND hour < ? ORDER BY hour',
      ),
      oldestRollup: db.prepare<[number, string], { m: number | null }>('SELECT min(hour) AS m FROM telemetry_rollup_hourly WHERE device_key = ? AND field = ?'),
      removeRollups: db.prepare(
        `DELETE FROM telemetry_rollup_hourly WHERE (device_key, field, hour) IN
           (SELECT device_key, field, hour FROM telemetry_rollup_hourly WHERE device_key = ? AND field = ? AND hour < ? LIMIT ?)`,
      ),
    };
    this.aggregate = Object.fromEntries(
      DEVICE_KINDS.map((kind) => {
        const parts = COLUMNS[kind].fields.map((f, i) => `min("${f}") AS min${i}, max("${f}") AS max${i}, sum("${f}") AS sum${i}, count("${f}") AS count${i}`);
        return [kind, db.prepare(`SELECT max(ts) AS last_ts, ${parts.join(', ')} FROM ${telemetryTable(kind)} WHERE device_key = ? AND ts >= ? AND ts < ? AND rowid <= ?`)];
      }),
    ) as Record<DeviceKind, Database.Statement<[number, number, number, number], Record<string, number | null>>>;
    this.temperatureSpan = db.prepare(
      `SELECT ts, "temperatureC" AS v, lead(ts) OVER (ORDER BY ts) AS next FROM ${telemetryTable('temperature')}
       WHERE device_key = ? AND ts >= ? AND ts < ? AND rowid <= ? AND "temperatureC" IS NOT NULL ORDER BY ts`,
    );
  }

  /** The rowid up to which a kind's raw rows are in the rollups. */
  watermark(kind: DeviceKind): number {
    return this.stmt.watermark.get(kind)?.last_rowid ?? 0;
  }

  /** Raw rows of hours before this (epoch ms) are pruned: those hours exist only as rollups. */
  prunedBefore(): number {
    return this.stmt.watermark.get(PRUNED_KEY)?.last_rowid ?? 0;
  }

  private bound(key: typeof OLDEST_RAW_KEY | typeof OLDEST_ROLLUP_KEY): number | undefined {
    return this.stmt.watermark.get(key)?.last_rowid;
  }

  /** How many raw rows of a kind are above the watermark, at most (rowids may have gaps). */
  unrolledRows(kind: DeviceKind): number {
    return Math.max(0, this.maxRowid(kind) - this.watermark(kind));
  }

  /** Expected reporting interval of a device, ms (undefined: unknown device). */
  expectedIntervalMs(key: number): number | undefined {
    const device = this.stmt.device.get(key);
    return device && device.expected_interval_s * 1000;
  }

  /**
   * One pass: brings the rollups up to date with the raw rows, per kind as far as
   * `maxDeviceHoursPerRun` (and `maxRowsPerRun`) allow, `sliceDeviceHours` per
   * transaction. Hours before the last prune are left
   * as they are: their raw rows are gone, so a very late reading there must not
   * replace the hour's rollup with itself alone. Resolves to how many device-hours
   * were recomputed.
   */
  run(): Promise<number> {
    return this.exclusive(() => this.runAll());
  }

  /**
   * Passes of {@link run} until every raw row committed before the call is rolled
   * up, or the job is stopped: the upkeep's job. A pass's limits bound its memory,
   * not the job's throughput; a job that fell behind would never prune again
   * (prunes wait for it).
   */
  catchUp(): Promise<number> {
    return this.exclusive(async () => {
      await this.staged?.folded();
      const targets = DEVICE_KINDS.map((kind) => ({ kind, through: this.maxRowid(kind) }));
      let hours = await this.runAll();
      while (!this.stopped && targets.some((t) => this.watermark(t.kind) < t.through)) {
        await yieldToEventLoop();
        hours += await this.runAll();
      }
      return hours;
    });
  }

  /** Ends the job under way after its current slice (what is left is done by the next start) and refuses new ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const result = this.queue.then(job);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runAll(): Promise<number> {
    await this.staged?.folded();
    const prunedBefore = this.prunedBefore();
    let hours = 0;
    for (const kind of DEVICE_KINDS) hours += await this.runKind(kind, prunedBefore);
    return hours;
  }

  private maxRowid(kind: DeviceKind): number {
    return (this.db.prepare(`SELECT max(rowid) AS m FROM ${telemetryTable(kind)}`).get() as { m: number | null }).m ?? 0;
  }

  private async runKind(kind: DeviceKind, rawCutoff: number): Promise<number> {
    if (this.stopped) return 0;
    let from = this.watermark(kind);
    const max = this.maxRowid(kind);
    // Only if the table was emptied by hand and rowids started again from 1 (prune always keeps the newest row).
    if (max < from) from = 0;
    const upTo = Math.min(max, from + Math.max(1, this.options.maxRowsPerRun ?? Infinity));
    if (upTo <= from) return 0;
    const { dirty, oldestHour, oldestDirtyHour, through } = await this.dirtyHours(kind, from, upTo, rawCutoff);
    // Before any of these rows is under the watermark or rolled up: a crash after this leaves the bounds low, never too high.
    this.db.transaction(() => {
      // Rows before the last prune's cutoff are never rolled up: they lower only the raw bound.
      for (const [bound, oldest] of [[OLDEST_RAW_KEY, oldestHour], [OLDEST_ROLLUP_KEY, oldestDirtyHour]] as const) {
        const known = this.bound(bound);
        if (known !== undefined && oldest < known) this.stmt.setWatermark.run(bound, oldest);
      }
    })();
    const slice = this.options.sliceDeviceHours ?? 200;
    for (let i = 0; i < Math.max(1, dirty.length); i += slice) {
      if (this.stopped) return i;
      const last = i + slice >= dirty.length;
      // IMMEDIATE: a slice reads an hour before writing it, and a read transaction that
      // must then become a writer while a checkpoint waits gets SQLITE_BUSY at once,
      // without the busy timeout. Taking the write lock first waits like any writer.
      this.db
        .transaction(() => {
          for (const hour of dirty.slice(i, i + slice)) this.update(kind, hour, from, through);
          // Only the last slice moves the watermark: until then the reader tells recomputed hours by their own last_rowid.
          if (last) this.stmt.setWatermark.run(kind, through);
        })
        .immediate();
      if (!last) await yieldToEventLoop();
    }
    return dirty.length;
  }

  /** The device-hours that rows `from < rowid <= through` change, read a bounded range at a time. */
  private async dirtyHours(
    kind: DeviceKind,
    from: number,
    upTo: number,
    rawCutoff: number,
  ): Promise<{ dirty: DirtyHour[]; oldestHour: number; oldestDirtyHour: number; through: number }> {
    const touched = this.db.prepare<[number, number], { key: number; hour: number; first: number; last: number }>(
      `SELECT device_key AS key, (ts / ${HOUR_MS}) * ${HOUR_MS} AS hour, min(ts) AS first, max(ts) AS last FROM ${telemetryTable(kind)}
       WHERE rowid > ? AND rowid <= ? GROUP BY device_key, hour`,
    );
    const holds = new Map<number, number>();
    const holdOf = (key: number) => {
      let hold = holds.get(key);
      if (hold === undefined) holds.set(key, (hold = holdMs((this.expectedIntervalMs(key) ?? 0) / 1000)));
      return hold;
    };
    const dirty = new Map<string, DirtyHour>();
    let oldestHour = Infinity;
    let oldestDirtyHour = Infinity;
    /** Marks a device-hour: by rows of its own from `first` on, or (first undefined) by an earlier hour's hold. */
    const mark = (key: number, hour: number, first: number | undefined) => {
      if (hour < oldestHour) oldestHour = hour;
      if (hour < rawCutoff) return;
      if (hour < oldestDirtyHour) oldestDirtyHour = hour;
      const id = `${key}:${hour}`;
      const entry = dirty.get(id) ?? { key, hour, first: undefined, heldInto: false };
      if (first === undefined) entry.heldInto = true;
      else entry.first = Math.min(entry.first ?? first, first);
      dirty.set(id, entry);
    };
    const most = this.options.maxDeviceHoursPerRun ?? 200_000;
    let through = from;
    // At least one read, so a pass always moves on (catchUp relies on it).
    while (through < upTo && (through === from || dirty.size < most)) {
      if (through > from) await yieldToEventLoop();
      const end = Math.min(upTo, through + PLAN_ROWS);
      for (const t of touched.all(through, end)) {
        mark(t.key, t.hour, t.first);
        // A temperature reading holds into the next hour only if it came within one hold of the hour's end.
        if (kind === 'temperature' && t.last + holdOf(t.key) > t.hour + HOUR_MS) mark(t.key, t.hour + HOUR_MS, undefined);
      }
      through = end;
    }
    return { dirty: [...dirty.values()], oldestHour, oldestDirtyHour, through };
  }

  /** Brings one device-hour up to the rows with a rowid up to `through`: extended when it can be, else recomputed. */
  private update(kind: DeviceKind, dirty: DirtyHour, watermark: number, through: number): void {
    const extendable = dirty.first !== undefined && !dirty.heldInto;
    if (extendable && this.extend(kind, dirty.key, dirty.hour, dirty.first!, watermark, through)) {
      this.updates.extended++;
      return;
    }
    this.recompute(kind, dirty.key, dirty.hour, through);
    this.updates.recomputed++;
  }

  private recompute(kind: DeviceKind, key: number, hour: number, through: number): void {
    this.stmt.clearHour.run(key, hour);
    const row = this.aggregate[kind].get(key, hour, hour + HOUR_MS, through)!;
    COLUMNS[kind].fields.forEach((field, i) => {
      const count = row[`count${i}`] ?? 0;
      if (count === 0) return;
      const range = kind === 'temperature' && field === 'temperatureC' ? this.timeInRange(key, hour, through) : undefined;
      this.write(key, field, hour, { min: row[`min${i}`]!, max: row[`max${i}`]!, sum: row[`sum${i}`]!, count }, range, through, row.last_ts!);
    });
  }

  /**
   * Adds the rows `watermark < rowid <= through` of one device-hour to its stored
   * rollup, when that holds exactly the hour's rows up to the watermark and every
   * new row is later than all of them (`first` > its latest). Returns false, having
   * written nothing, when it can't: the caller recomputes.
   */
  private extend(kind: DeviceKind, key: number, hour: number, first: number, watermark: number, through: number): boolean {
    const stored = this.stmt.storedHour.all(key, hour);
    const lastTs = stored[0]?.last_ts ?? null;
    if (lastTs === null || first <= lastTs) return false;
    if (stored.some((r) => r.last_ts !== lastTs || r.last_rowid === null || r.last_rowid > watermark)) return false;
    const end = hour + HOUR_MS;
    const added = this.aggregate[kind].get(key, lastTs + 1, end, through)!;
    const addedLastTs = added.last_ts;
    if (addedLastTs === null || addedLastTs === undefined) return false;
    const byField = new Map(stored.map((r) => [r.field, r]));
    const rows: { field: string; values: { min: number; max: number; sum: number; count: number }; range: TimeInRange | undefined }[] = [];
    COLUMNS[kind].fields.forEach((field, i) => {
      const old = byField.get(field);
      const count = added[`count${i}`] ?? 0;
      if (!old && count === 0) return;
      const values = !old
        ? { min: added[`min${i}`]!, max: added[`max${i}`]!, sum: added[`sum${i}`]!, count }
        : count === 0
          ? old
          : { min: Math.min(old.min, added[`min${i}`]!), max: Math.max(old.max, added[`max${i}`]!), sum: old.sum + added[`sum${i}`]!, count: old.count + count };
      let range: TimeInRange | undefined;
      if (kind === 'temperature' && field === 'temperatureC') {
        range = old && count === 0 ? storedRange(old) : old ? this.extendTimeInRange(key, old, lastTs + 1, end, through) : this.timeInRange(key, hour, through);
      }
      rows.push({ field, values, range });
    });
    this.stmt.clearHour.run(key, hour);
    for (const { field, values, range } of rows) this.write(key, field, hour, values, range, through, addedLastTs);
    return true;
  }

  private write(
    key: number,
    field: string,
    hour: number,
    v: { min: number; max: number; sum: number; count: number },
    range: TimeInRange | undefined,
    through: number,
    lastTs: number,
  ): void {
    const tail = range?.tail;
    this.stmt.insert.run(
      key, field, hour, v.min, v.max, v.sum, v.count, v.sum / v.count,
      range?.inRangeMs ?? null, range?.observedMs ?? null, through, lastTs,
      tail?.ts ?? null, tail?.until ?? null, tail === undefined ? null : Number(tail.inRange),
    );
  }

  /** The band and hold of a device's profile, or undefined when time in range is not measured for it. */
  private rangeBasis(key: number): { band: TemperatureBand; hold: number } | undefined {
    const device = this.stmt.device.get(key);
    const band = device && this.options.bandOf?.(device.profile);
    return device && band ? { band, hold: holdMs(device.expected_interval_s) } : undefined;
  }

  private timeInRange(key: number, hour: number, through: number): TimeInRange | undefined {
    const basis = this.rangeBasis(key);
    if (!basis) return undefined;
    const { band, hold } = basis;
    const end = hour + HOUR_MS;
    let inRangeMs = 0;
    let observedMs = 0;
    let tail: TimeInRange['tail'];
    // Readings from one hold before the hour (they may reach into it) to one hold after (the last one's successor).
    for (const r of this.temperatureSpan.all(key, hour - hold, end + hold, through)) {
      const start = Math.max(r.ts, hour);
      const stop = Math.min(r.next ?? Infinity, r.ts + hold, end);
      // The hour's latest reading: any successor is past the hour's end, so it counted up to its hold or the end.
      if (r.ts >= hour && r.ts < end) tail = { ts: r.ts, until: stop, inRange: inBand(band, r.v) };
      if (stop <= start) continue;
      observedMs += stop - start;
      if (inBand(band, r.v)) inRangeMs += stop - start;
    }
    return { inRangeMs, observedMs, tail };
  }

  /** Time in range moved on from the stored tail by the readings from `from` (all later than it) to the hour's end. */
  private extendTimeInRange(key: number, old: StoredHour, from: number, end: number, through: number): TimeInRange | undefined {
    const basis = this.rangeBasis(key);
    if (!basis) return undefined;
    const stored = storedRange(old);
    // Written before tails were kept: the whole hour, once.
    if (!stored?.tail) return this.timeInRange(key, end - HOUR_MS, through);
    const { band, hold } = basis;
    let { inRangeMs, observedMs, tail } = stored;
    for (const r of this.stmt.temperatureFrom.all(key, from, end, through)) {
      // This reading ends the previous one's hold, if that was still running.
      const cut = tail!.until - Math.max(r.ts, tail!.ts);
      if (cut > 0) {
        observedMs -= cut;
        if (tail!.inRange) inRangeMs -= cut;
      }
      const until = Math.min(r.ts + hold, end);
      tail = { ts: r.ts, until, inRange: inBand(band, r.v) };
      observedMs += until - r.ts;
      if (tail.inRange) inRangeMs += until - r.ts;
    }
    return { inRangeMs, observedMs, tail };
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
      lastRowid: r.last_rowid,
    }));
  }

  /**
   * Deletes raw readings older than `rawDays` and rollups older than `rollupDays`,
   * in chunks of `pruneChunkRows` rows per transaction, yielding between them.
   * Raw rows go only once the rollups have caught up (so no hour is lost between
   * the two), and only rows at or below the watermark (rows committed while the
   * prune runs wait for the next one). The newest row of each table is kept:
   * telemetry tables have no AUTOINCREMENT, so deleting it would let the next
   * insert reuse its rowid, at or below the watermark, and never be rolled up.
   * Resolves to the rows removed.
   *
   * Finding old rows costs an index probe per device (and per field for rollups):
   * 150,000 devices took 15 s of CPU per prune, hourly, deleting nothing. So each
   * complete prune records the oldest row it left (each run lowers that before
   * rolling up older rows), and a prune whose cutoff is not past it probes nothing:
   * until a city's data first ages out, and for rollups for years.
   */
  prune(now: number, retention: { rawDays: number; rollupDays: number }): Promise<{ raw: number; rollups: number }> {
    return this.exclusive(async () => {
      // Whole hours only, so no hour is left with part of its raw rows.
      const rawCutoff = Math.floor((now - retention.rawDays * DAY_MS) / HOUR_MS) * HOUR_MS;
      // Catching up after a long pause (or on the first start with old data) is left to
      // the periodic runs, a bounded slice each.
      await this.runAll();
      if (this.stopped || DEVICE_KINDS.some((kind) => this.unrolledRows(kind) > 0)) return { raw: 0, rollups: 0 };
      this.stmt.setWatermark.run(PRUNED_KEY, rawCutoff);
      const chunks = { chunkRows: this.options.pruneChunkRows ?? 5_000, stopped: () => this.stopped };
      let devices: { key: number; kind: DeviceKind }[] | undefined;
      const fleet = () => (devices ??= this.stmt.devices.all());
      let raw = 0;
      // Each finished target also reads what its device has left, so the bounds recorded are the oldest rows, not the cutoffs.
      const oldestRaw = this.bound(OLDEST_RAW_KEY);
      if (oldestRaw === undefined || oldestRaw < rawCutoff) {
        let left = NO_ROWS;
        for (const kind of DEVICE_KINDS) {
          const table = telemetryTable(kind);
          const below = Math.min(this.watermark(kind), this.maxRowid(kind) - 1);
          const remove = this.db.prepare<[number, number, number, number]>(
            `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE device_key = ? AND ts < ? AND rowid <= ? LIMIT ?)`,
          );
          const oldest = this.db.prepare<[number], { m: number | null }>(`SELECT min(ts) AS m FROM ${table} WHERE device_key = ?`);
          const removeOf = (key: number): DeleteTarget => (limit) => {
            const deleted = remove.run(key, rawCutoff, below, limit).changes;
            if (deleted < limit) left = Math.min(left, oldest.get(key)?.m ?? NO_ROWS);
            return deleted;
          };
          raw += await deleteInChunks(this.db, targetsOf(fleet(), (d) => (d.kind === kind ? [removeOf(d.key)] : [])), chunks);
        }
        if (!this.stopped) this.stmt.setWatermark.run(OLDEST_RAW_KEY, left);
      }
      const rollupCutoff = now - retention.rollupDays * DAY_MS;
      let rollups = 0;
      const oldestRollup = this.bound(OLDEST_ROLLUP_KEY);
      if (oldestRollup === undefined || oldestRollup < rollupCutoff) {
        let left = NO_ROWS;
        const removeOf = (key: number, field: string): DeleteTarget => (limit) => {
          const deleted = this.stmt.removeRollups.run(key, field, rollupCutoff, limit).changes;
          if (deleted < limit) left = Math.min(left, this.stmt.oldestRollup.get(key, field)?.m ?? NO_ROWS);
          return deleted;
        };
        rollups = await deleteInChunks(this.db, targetsOf(fleet(), (d) => COLUMNS[d.kind].fields.map((field) => removeOf(d.key, field))), chunks);
        if (!this.stopped) this.stmt.setWatermark.run(OLDEST_ROLLUP_KEY, left);
      }
      return { raw, rollups };
    });
  }
}

/** The delete targets of each device, made as the chunks reach them: a city's 150,000 devices are not turned into 750,000 closures up front. */
function* targetsOf<D>(devices: Iterable<D>, of: (device: D) => DeleteTarget[]): Generator<DeleteTarget> {
  for (const device of devices) yield* of(device);
}
