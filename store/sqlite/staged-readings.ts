import type Database from 'better-sqlite3';
import { DEVICE_KINDS, type DeviceKind } from '../../contracts/index.js';
import { indexedFields, stagedTable, telemetryTable, type SqliteDatabase } from './database.js';
import type { DurableCommits } from './durable-commits.js';
import { COLUMNS, type KindColumns } from './kind-columns.js';
import { LoopShare } from '../loop-share.js';
import type { TelemetryRecord } from '../index.js';

/** A reading to stage: its device's key is passed beside it. */
export type StagedReading = Pick<TelemetryRecord, 'ts' | 'seq' | 'boot' | 'receivedAt' | 'values'>;

/** A row's values: device_key, ts, boot, seq, received_at, then the kind's fields in catalogue order. */
type RowValue = number | string | null;

export interface StagedReadingsOptions {
  /**
   * A fold starts once the readings staged since the last one average this many
   * per device that staged any. What a fold saves is index pages written: it
   * writes each device's page once for all the readings it gathered. Default 8.
   */
  foldPerDevice?: number;
  /**
   * ... or at the latest this long after the first of them was staged (ms),
   * however few they are: the bound on how long the log and the in-memory copy
   * hold a reading, and so on what a start after a crash stages again. Default
   * 60,000: two readings a device for a fleet that sends every 30 s.
   */
  foldWithinMs?: number;
  /** How often it looks whether a fold is due (ms). Default 500. */
  checkEveryMs?: number;
  /** A slice of a fold runs this long at most before it lets the event loop go (ms). Default 2. */
  sliceMs?: number;
  /**
   * The most of the event loop a fold's slices take while it runs
   * (store/loop-share.ts). Default 0.25. Below that a fold spreads its slices
   * ({@link FOLD_SPREAD}).
   */
  loopShare?: number;
  /** Staged rows dropped from the log per statement once a fold has moved them. Default 2,000. */
  dropPerStatement?: number;
  /**
   * Readings staged and not folded, from which ingest waits for a fold before it
   * stages more (the memory they take is bounded; the wait reaches the devices
   * through the broker's read gate). A fold starts once half of it is staged,
   * whatever {@link foldPerDevice} and {@link foldWithinMs} say. Default 500,000:
   * about 40 MiB (some 80 bytes a reading in the in-memory copy), 50 s at 10,000
   * readings/s; a city's 5,000 readings/s fold every 50 s.
   */
  maxPending?: number;
  /** Each finished fold: how many readings it moved, how long it took from start to end, and the CPU its slices took. */
  onFold?: (fold: FoldReport) => void;
  /** A slice that failed; the fold stops and the next one starts over (nothing is lost: the log keeps the rows). */
  onError?: (error: unknown) => void;
}

export interface FoldReport {
  readings: number;
  /** Devices that had readings staged as it started. */
  devices: number;
  slices: number;
  /** From the first slice to the last drop from the log. */
  seconds: number;
  /** The event loop's time in the slices. */
  busySeconds: number;
  /** What it was to be spread over as it started ({@link FOLD_SPREAD}); 0 when it went at its full share. */
  spreadSeconds: number;
  /** Readings left staged as it ended (staged after it started). */
  staged: number;
}

/** What one ingest transaction staged: counted back out if it does not commit (SQLite rolls its rows back itself). */
export interface StageBatch {
  staged: number;
}

/** A row's own columns, before the kind's fields. */
const OWN_COLUMNS = ['device_key', 'ts', 'boot', 'seq', 'received_at'];

/** Through every id: a fold of all a device has staged. */
const EVERY_ID = Number.MAX_SAFE_INTEGER;

/**
 * A fold spreads its slices over this share of the time its readings took to
 * arrive, so that it ends before the next one is due and adds the same small
 * load all along: at 10,000 readings/s a fold of 2 s of readings at the full
 * {@link StagedReadingsOptions.loopShare} took a quarter of the loop for half a
 * second, on top of the 65-70 % ingest takes, and every run of slow PUBACKs in
 * the latency bench's window fell in one (bench/README.md, "Twenty-first pass").
 * Not when staged readings pile up (half of `maxPending`), nor for a reader
 * waiting on {@link StagedReadings.folded}, nor while the store drains.
 */
const FOLD_SPREAD = 0.75;

/** What was staged since the last fold started: what decides when the next one is due. */
interface SinceFold {
  readings: number;
  devices: Set<number>;
  /** When the first of them was staged (performance.now()). */
  firstAt: number;
}

const nothingSince = (): SinceFold => ({ readings: 0, devices: new Set(), firstAt: 0 });

/**
 * A fold moves consecutive devices in one statement, as many as it takes for
 * about this many readings: a statement's own cost is shared by many readings
 * when devices have staged few each (a city's fleet: one or two), and a
 * statement stays short enough for the slice to stop soon after its time.
 */
const READINGS_PER_STATEMENT = 100;
const MOST_DEVICES_PER_STATEMENT = 1_000;

/**
 * A transaction's readings go into the log and its copy this many to a
 * statement: a statement's own cost (its call, stepping, resetting, its
 * result) was about two thirds of what the row it appends to the log costs
 * (0.7 against 1.1 µs, a one-off measurement), and a group commit brings tens
 * to hundreds of readings.
 */
const ROWS_PER_INSERT = 16;

/**
 * One kind's staged readings, in two places: the durable log in the file
 * (`telemetry_<kind>_staged`, appended to, no index) and a copy in an in-memory
 * database attached to the same connection (`staging.<kind>`). The copy is what
 * de-duplicates staged readings and what folds read, grouped by device; it lives
 * in SQLite's heap, not as objects the JavaScript collector would carry for
 * seconds, and a transaction that rolls back takes its rows out of both. At open
 * it is filled again from the log.
 *
 * The copy is one B-tree, a WITHOUT ROWID table keyed by (device, time, id): a
 * fold reads it in the telemetry index's order with nothing to sort or look up,
 * and a resend's lookup seeks its device and time. A rowid table with a unique
 * index on the reading's identity, as before, wrote every reading into two
 * B-trees and read it back through both; this took about a sixth off the CPU a
 * reading costs the store, folds included (bench/README.md, "Twenty-fourth pass").
 */
class KindStage {
  /** Statements that insert n rows, at [n - 1], prepared as first needed. */
  private readonly appendRows: Database.Statement[] = [];
  private readonly copyRows: Database.Statement[] = [];
  /**
   * Arrays kept for the store's life, so that staging a reading allocates none
   * of its own: `logValues[n - 1]` holds n rows' values for the log's statement
   * of n rows, `copyValues[n - 1]` the same with each row's id first. The rows
   * {@link add}ed and not yet written are the first {@link pendingRows} of the
   * largest (`logValues[ROWS_PER_INSERT - 1]`).
   */
  private readonly logValues: RowValue[][] = [];
  private readonly copyValues: RowValue[][] = [];
  private readonly adding: RowValue[];
  private pendingRows = 0;
  private readonly cols: KindColumns;
  private readonly rowWidth: number;
  private readonly log: string;
  private readonly memory: string;
  private readonly columns: string;
  private readonly rowValues: string;
  readonly staged: Database.Statement;
  readonly stored: Database.Statement;
  readonly devices: Database.Statement<[number], number>;
  readonly move: Database.Statement<[number, number, number]>;
  readonly forget: Database.Statement<[number, number, number]>;
  readonly drop: Database.Statement<[number, number]>;
  readonly firstId: Database.Statement<[], number | null>;
  readonly lastId: Database.Statement<[], number | null>;
  /** Where the reading index's fields after (device_key, ts, seq, boot) sit among the kind's fields. */
  private readonly coveredAt: readonly number[];
  /**
   * Per device key, a (time, seq) that no staged or stored reading of it comes
   * after, in that order (see {@link isResend}). Rewritten in place: no object
   * and no heap number per reading.
   */
  private readonly newest = new Map<number, { ts: number; seq: number }>();
  private readonly newestStored: Database.Statement<[number, number], number | null>;

  constructor(
    private readonly db: SqliteDatabase,
    readonly kind: DeviceKind,
  ) {
    this.cols = COLUMNS[kind];
    const fields = this.cols.fields;
    const covered = indexedFields(kind);
    this.coveredAt = covered.map((f) => fields.indexOf(f));
    this.rowWidth = OWN_COLUMNS.length + fields.length;
    this.adding = this.valuesFor(this.logValues, ROWS_PER_INSERT, this.rowWidth);
    const log = stagedTable(kind);
    const table = telemetryTable(kind);
    const memory = `staging.${kind}`;
    const columns = [...OWN_COLUMNS, ...fields.map((f) => `"${f}"`)].join(', ');
    db.exec(`
      CREATE TABLE ${memory} (id INTEGER NOT NULL, ${OWN_COLUMNS.join(', ')}${fields.map((f) => `, "${f}" REAL`).join('')}, PRIMARY KEY (device_key, ts, id)) WITHOUT ROWID;
      INSERT INTO ${memory} (id, ${columns}) SELECT id, ${columns} FROM ${log};
    `);
    this.log = log;
    this.memory = memory;
    this.columns = columns;
    this.rowValues = [...OWN_COLUMNS, ...fields].map(() => '?').join(', ');
    const sameReading = `device_key = ? AND ts = ? AND seq = ? AND boot = ?${covered.map((f) => ` AND "${f}" = ?`).join('')}`;
    this.staged = db.prepare(`SELECT 1 FROM ${memory} WHERE ${sameReading} LIMIT 1`).pluck();
    this.stored = db.prepare(`SELECT 1 FROM ${table} WHERE ${sameReading} LIMIT 1`).pluck();
    this.devices = db.prepare<[number], number>(`SELECT DISTINCT device_key FROM ${memory} WHERE id <= ? ORDER BY device_key`).pluck();
    this.move = db.prepare(`INSERT OR IGNORE INTO ${table} (${columns}) SELECT ${columns} FROM ${memory} WHERE device_key BETWEEN ? AND ? AND id <= ? ORDER BY device_key, ts, id`);
    this.forget = db.prepare(`DELETE FROM ${memory} WHERE device_key BETWEEN ? AND ? AND id <= ?`);
    this.drop = db.prepare(`DELETE FROM ${log} WHERE id > ? AND id <= ?`);
    this.firstId = db.prepare<[], number | null>(`SELECT min(id) FROM ${log}`).pluck();
    this.lastId = db.prepare<[], number | null>(`SELECT max(id) FROM ${log}`).pluck();
    this.newestStored = db
      .prepare<[number, number], number | null>(`SELECT max(ts) FROM (SELECT max(ts) AS ts FROM ${table} WHERE device_key = ? UNION ALL SELECT max(ts) FROM ${memory} WHERE device_key = ?)`)
      .pluck();
  }

  /** Rows in the in-memory copy, at open. */
  count(db: SqliteDatabase): number {
    return db.prepare(`SELECT count(*) FROM staging.${this.kind}`).pluck().get() as number;
  }

  /**
   * A resend of a reading staged or stored: equal on the reading index's columns.
   * As in a unique index, a reading with a NULL there equals none. A reading that
   * comes after all of its device's, by time and then by seq, can be none, and
   * that is almost every reading: the two lookups are for the rest (a resend, a
   * buffer replayed, a reading with a lower seq at the same time, as after a
   * reboot). Readings taken in the same millisecond with rising seqs (a fast
   * device, a batch) stay on the quick path. The device's newest time is read
   * once per process; its seq there is not, so the first reading at that same
   * time is looked up.
   */
  isResend(key: number, r: StagedReading): boolean {
    const { ts, seq } = r;
    let newest = this.newest.get(key);
    if (newest === undefined) {
      newest = { ts: this.newestStored.get(key, key) ?? Number.NEGATIVE_INFINITY, seq: Number.POSITIVE_INFINITY };
      this.newest.set(key, newest);
    }
    if (ts > newest.ts || (ts === newest.ts && seq > newest.seq)) {
      newest.ts = ts;
      newest.seq = seq;
      return false;
    }
    // The copy is what is looked up: the readings of this transaction go there first.
    this.write();
    const identity = [key, ts, seq, r.boot, ...this.coveredAt.map((i) => this.cols.columnValue(i, r.values))];
    if (identity.includes(null)) return false;
    return this.staged.get(identity) !== undefined || this.stored.get(identity) !== undefined;
  }

  /** Stages a reading {@link isResend} cleared: written with the next {@link ROWS_PER_INSERT}, or by {@link write}. */
  add(key: number, r: StagedReading): void {
    const row = this.adding;
    let at = this.pendingRows * this.rowWidth;
    row[at++] = key;
    row[at++] = r.ts;
    row[at++] = r.boot;
    row[at++] = r.seq;
    row[at++] = r.receivedAt;
    for (let f = 0; f < this.cols.fields.length; f++) row[at++] = this.cols.columnValue(f, r.values);
    if (++this.pendingRows === ROWS_PER_INSERT) this.write();
  }

  /**
   * Writes the readings {@link add}ed and not yet written to the log and then to
   * the copy, under the ids the log gave them (one statement appends rows with
   * consecutive ids: the log's AUTOINCREMENT, one writer).
   */
  write(): void {
    const n = this.pendingRows;
    if (n === 0) return;
    const width = this.rowWidth;
    const rows = this.valuesFor(this.logValues, n, width);
    if (rows !== this.adding) for (let i = 0; i < n * width; i++) rows[i] = this.adding[i]!;
    const last = Number(this.statement(this.appendRows, n, `INSERT INTO ${this.log} (${this.columns}) VALUES `, '').run(rows).lastInsertRowid);
    const withIds = this.valuesFor(this.copyValues, n, width + 1);
    for (let i = 0, from = 0, to = 0; i < n; i++) {
      withIds[to++] = last - n + 1 + i;
      for (let c = 0; c < width; c++) withIds[to++] = rows[from++]!;
    }
    this.statement(this.copyRows, n, `INSERT INTO ${this.memory} (id, ${this.columns}) VALUES `, '?, ').run(withIds);
    this.pendingRows = 0;
  }

  /** Forgets readings added and not written: their transaction did not commit. */
  discard(): void {
    this.pendingRows = 0;
  }

  /** The kept array for n rows of `width` values each. */
  private valuesFor(cache: RowValue[][], n: number, width: number): RowValue[] {
    return (cache[n - 1] ??= new Array<RowValue>(n * width).fill(null));
  }

  private statement(cache: Database.Statement[], rows: number, head: string, idValue: string): Database.Statement {
    return (cache[rows - 1] ??= this.db.prepare(head + Array.from({ length: rows }, () => `(${idValue}${this.rowValues})`).join(', ')));
  }

  /**
   * Moves the staged rows with ids up to `through` of the devices keyed `first`
   * to `last` into the telemetry table, device by device in time order; how many.
   */
  foldRange(first: number, last: number, through: number): number {
    this.move.run(first, last, through);
    return this.forget.run(first, last, through).changes;
  }
}

interface Fold {
  started: number;
  /** The slices are spread to end this long after the start (ms); 0 for a fold at its full share ({@link FOLD_SPREAD}). */
  spreadMs: number;
  /**
   * Settles once the fold is to go at its full share (a reader waits for it), or
   * ends: the pauses between its slices stop waiting for the spread from then on.
   */
  hurried: Promise<void>;
  hurry: () => void;
  busyMs: number;
  slices: number;
  readings: number;
  devices: number;
  /** Per kind, the last id in its log as the fold started: rows appended later belong to the next fold. */
  through: Map<DeviceKind, number>;
  /** The devices to fold, in key order (the index's order), and how many are done. */
  queue: Array<[DeviceKind, number]>;
  done: number;
  /** How many devices of the queue the next statement folds (see {@link READINGS_PER_STATEMENT}). */
  span: number;
  /** Settles when the fold ends, done or not. */
  ended: Promise<void>;
  end: () => void;
  /** Once every device is folded: per kind, the ids still to drop from its log, (after, through]. */
  dropping?: Array<{ kind: DeviceKind; after: number; through: number }>;
}

/**
 * Readings reach the disk twice: first appended to a kind's staged log, durable
 * before the PUBACK; then, in the background, folded into the kind's telemetry
 * table in device order, and dropped from the log.
 *
 * Why: the telemetry table's index is ordered by device, so a reading inserted
 * at once dirties its device's index page, and at 10,000 readings/s from 2,000
 * devices each group commit wrote about one 4 KiB page per reading into the WAL
 * (1.5 on a file of 1M readings), which the checkpoints then copied into the
 * file at random places (bench/README.md, "Nineteenth pass"). Appended, a commit
 * writes the log's last pages only; a fold writes each device's index page once
 * for all the readings it gathered meanwhile (ten at 5 readings/s over 2 s).
 *
 * What stays true: a reading is stored, and de-duplicated, from the commit that
 * stages it: a resend is recognised against the staged copy and the table (both
 * by their unique index). Every reader of the telemetry tables folds what it is
 * about to read first ({@link foldDevices}, {@link foldAll}, {@link folded}), so
 * readers see every acknowledged reading. Folds are paced to a share of the
 * event loop ({@link LoopShare}) and wait while the checkpointer holds the
 * commits. Folds and drops commit without a sync of their own: the log holds
 * the rows until a drop, and a drop is in the WAL after the fold that moved its
 * rows, so a crash in between leaves rows in both places, which the next start
 * stages again and the fold's INSERT OR IGNORE skips.
 */
export class StagedReadings {
  private readonly kinds: Record<DeviceKind, KindStage>;
  private readonly options: Required<Omit<StagedReadingsOptions, 'onFold' | 'onError'>> & Pick<StagedReadingsOptions, 'onFold' | 'onError'>;
  private readonly foldSlice: (fold: Fold) => { moved: number; more: boolean };
  private readonly foldNow: (devices: ReadonlyArray<readonly [DeviceKind, number]>) => number;
  private stagedCount = 0;
  private sinceFold = nothingSince();
  private fold: Fold | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Folds run as fast as they can: the store is closing. */
  private draining = false;

  constructor(
    db: SqliteDatabase,
    private readonly commits: Pick<DurableCommits, 'relaxed' | 'holding'>,
    options: StagedReadingsOptions = {},
  ) {
    this.options = { foldPerDevice: 8, foldWithinMs: 60_000, checkEveryMs: 500, sliceMs: 2, loopShare: 0.25, dropPerStatement: 2_000, maxPending: 500_000, ...options };
    db.exec(`ATTACH DATABASE ':memory:' AS staging`);
    this.kinds = Object.fromEntries(DEVICE_KINDS.map((k) => [k, new KindStage(db, k)])) as Record<DeviceKind, KindStage>;
    // What a previous run staged and did not drop from the log is staged again (some of it may be folded already).
    this.stagedCount = DEVICE_KINDS.reduce((n, k) => n + this.kinds[k].count(db), 0);
    // ... and folded at the first check: its devices are not counted, so it is due at once.
    if (this.stagedCount > 0) this.sinceFold = { readings: this.stagedCount, devices: new Set(), firstAt: performance.now() };
    this.foldSlice = commits.relaxed((fold: Fold) => this.slice(fold));
    // Both return the readings they moved; the count changes only once their transaction has committed.
    this.foldNow = commits.relaxed((devices: ReadonlyArray<readonly [DeviceKind, number]>) =>
      devices.reduce((moved, [kind, key]) => moved + this.kinds[kind].foldRange(key, key, EVERY_ID), 0),
    );
  }

  /** Readings staged and not yet folded. */
  get pending(): number {
    return this.stagedCount;
  }

  /** Staged readings have reached `maxPending`: wait for {@link folded} before staging more. */
  get full(): boolean {
    return this.pending >= this.options.maxPending;
  }

  /** A batch to pass to {@link stage} within one ingest transaction. */
  batch(): StageBatch {
    return { staged: 0 };
  }

  /**
   * Inside the ingest transaction: appends the reading to the log unless it is a
   * resend of one staged or stored; true when appended. The rows are written in
   * statements of several ({@link ROWS_PER_INSERT}): call {@link write} before
   * the transaction ends.
   */
  stage(kind: DeviceKind, key: number, reading: StagedReading, batch: StageBatch): boolean {
    const stage = this.kinds[kind];
    if (stage.isResend(key, reading)) return false;
    stage.add(key, reading);
    batch.staged++;
    this.stagedCount++;
    const since = this.sinceFold;
    if (since.readings++ === 0) since.firstAt = performance.now();
    since.devices.add(key);
    return true;
  }

  /** Inside the ingest transaction, at its end: writes what {@link stage} has not written yet. */
  write(): void {
    for (const kind of DEVICE_KINDS) this.kinds[kind].write();
  }

  /** The transaction of `batch` did not commit: SQLite took its rows back, and they are not counted. */
  undo(batch: StageBatch): void {
    for (const kind of DEVICE_KINDS) this.kinds[kind].discard();
    this.stagedCount -= batch.staged;
    batch.staged = 0;
  }

  /** Folds the devices' staged readings now, so a read of the telemetry table sees them. */
  foldDevices(devices: ReadonlyArray<readonly [DeviceKind, number]>): void {
    if (this.stagedCount > 0 && devices.length > 0) this.stagedCount -= this.foldNow(devices);
  }

  /** Folds every staged reading now. */
  foldAll(): void {
    this.foldDevices(this.stagedDevices(EVERY_ID));
  }

  /**
   * Resolves once every reading staged before the call is in the telemetry
   * tables, by the folds' slices (for the rollup job, which reads the tables in
   * bulk and must not hold the event loop for a fold of its own).
   */
  async folded(): Promise<void> {
    // A fold under way may have started before the last readings: the one after it covers them.
    // The reader waits for it, so it goes at its full share from now on.
    if (this.fold) {
      this.fold.hurry();
      await this.fold.ended;
    }
    this.startFold();
    await this.fold?.ended;
  }

  /** Looks every `checkEveryMs` whether a fold is due ({@link due}), and starts it. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      if (this.due()) this.startFold(true);
    }, this.options.checkEveryMs);
    this.timer.unref();
  }

  /**
   * A fold is due once the readings staged since the last one average
   * `foldPerDevice` per device, once the first of them has waited `foldWithinMs`,
   * or once half of `maxPending` is staged. So a fleet that sends often folds
   * often, and a city's fleet, one reading a device every 30 s, gathers two a
   * device before each fold instead of folding one reading per index page.
   */
  private due(): boolean {
    const since = this.sinceFold;
    if (this.pending >= this.options.maxPending / 2) return true;
    if (since.readings === 0) return false;
    return since.readings >= this.options.foldPerDevice * since.devices.size || performance.now() - since.firstAt >= this.options.foldWithinMs;
  }

  /**
   * For the store's close: folds everything staged as fast as it can (no other
   * work needs the event loop now), so the next start has nothing to stage again,
   * then stops. A fold that fails leaves its readings in the log for that start.
   */
  async drain(): Promise<void> {
    if (this.stopped) return;
    this.draining = true;
    await this.folded();
    this.stop();
  }

  /** Stops folding; what is staged stays in the log for the next start (as a crash would leave it). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.fold) this.endFold(this.fold);
  }

  /**
   * Starts a fold of everything staged, unless one is under way; runs it in
   * slices. `spread`: over {@link FOLD_SPREAD} of the time the readings took to
   * arrive (when it is due by the clock, not by a reader).
   */
  startFold(spread = false): void {
    // With nothing pending, the log may still hold rows readers folded: the fold drops them.
    if (this.fold || this.stopped || (this.pending === 0 && DEVICE_KINDS.every((k) => this.kinds[k].firstId.get() == null))) return;
    // From the log, not from memory: ids of rows folded early by a reader are in it too, and an id a rolled-back append took may be taken again.
    const through = new Map(DEVICE_KINDS.map((k) => [k, this.kinds[k].lastId.get() ?? 0] as const));
    const started = performance.now();
    // A crashed run's leftovers count as staged when this run opened: due at the first check, spread over the moment since.
    const spreadMs = spread && this.sinceFold.readings > 0 ? Math.min(this.options.foldWithinMs, started - this.sinceFold.firstAt) * FOLD_SPREAD : 0;
    this.sinceFold = nothingSince();
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    let hurry!: () => void;
    const hurried = new Promise<void>((resolve) => (hurry = resolve));
    this.fold = { started, spreadMs, hurried, hurry, busyMs: 0, slices: 0, readings: 0, devices: 0, through, queue: this.stagedDevices(through), done: 0, span: 1, ended, end };
    void this.run(this.fold);
  }

  /** Runs the fold's slices, each in its own transaction, paced to its share of the event loop. */
  private async run(fold: Fold): Promise<void> {
    const share = new LoopShare(this.options.loopShare);
    for (let more = true; more; ) {
      if (!this.draining) await share.pause(this.spreadRest(fold), fold.hurried);
      // Not while the checkpointer holds the commits to start the WAL over: a fold's pages would be more to copy.
      const holding = this.commits.holding;
      if (holding) {
        await holding;
        continue;
      }
      if (this.fold !== fold) return;
      const started = performance.now();
      try {
        const slice = this.foldSlice(fold);
        more = slice.more;
        this.stagedCount -= slice.moved;
        fold.readings += slice.moved;
      } catch (error) {
        this.endFold(fold);
        this.options.onError?.(error);
        return;
      }
      fold.busyMs += performance.now() - started;
      fold.slices++;
    }
    this.endFold(fold);
    this.options.onFold?.({
      readings: fold.readings,
      devices: fold.devices,
      slices: fold.slices,
      seconds: (performance.now() - fold.started) / 1000,
      busySeconds: fold.busyMs / 1000,
      spreadSeconds: fold.spreadMs / 1000,
      staged: this.pending,
    });
  }

  /**
   * How long to wait before the next slice for the fold to keep to its spread:
   * the devices it has folded are its progress, and it is due to reach them at
   * that share of `spreadMs`. None once staged readings pile up.
   */
  private spreadRest(fold: Fold): number {
    if (fold.spreadMs === 0 || this.pending >= this.options.maxPending / 2) return 0;
    const progress = fold.queue.length === 0 ? 1 : fold.done / fold.queue.length;
    return fold.started + progress * fold.spreadMs - performance.now();
  }

  private endFold(fold: Fold): void {
    if (this.fold === fold) this.fold = undefined;
    // A fold stopped while it waits for its spread wakes, sees it has ended, and returns.
    fold.hurry();
    fold.end();
  }

  /** One slice, in one transaction: devices first, then drops from the log. How many readings it moved, and whether there is more. */
  private slice(fold: Fold): { moved: number; more: boolean } {
    const deadline = performance.now() + this.options.sliceMs;
    let moved = 0;
    while (fold.done < fold.queue.length) {
      const [kind, first] = fold.queue[fold.done]!;
      let end = fold.done + 1;
      while (end < fold.queue.length && end - fold.done < fold.span && fold.queue[end]![0] === kind) end++;
      const n = this.kinds[kind].foldRange(first, fold.queue[end - 1]![1], fold.through.get(kind)!);
      moved += n;
      fold.devices += end - fold.done;
      fold.done = end;
      fold.span = Math.min(MOST_DEVICES_PER_STATEMENT, Math.max(1, Math.round((fold.span * READINGS_PER_STATEMENT) / Math.max(n, 1))));
      if (performance.now() >= deadline) return { moved, more: true };
    }
    fold.dropping ??= [...fold.through].flatMap(([kind, through]) => {
      const first = this.kinds[kind].firstId.get() ?? null;
      return first !== null && first <= through ? [{ kind, after: first - 1, through }] : [];
    });
    while (fold.dropping.length > 0) {
      const drop = fold.dropping[fold.dropping.length - 1]!;
      const to = Math.min(drop.through, drop.after + this.options.dropPerStatement);
      this.kinds[drop.kind].drop.run(drop.after, to);
      drop.after = to;
      if (to >= drop.through) fold.dropping.pop();
      if (performance.now() >= deadline) return { moved, more: fold.dropping.length > 0 };
    }
    return { moved, more: false };
  }

  /** The devices with rows staged up to `through` (per kind, or one id for all), in key order: the index's order. */
  private stagedDevices(through: number | ReadonlyMap<DeviceKind, number>): Array<[DeviceKind, number]> {
    const upTo = (k: DeviceKind) => (typeof through === 'number' ? through : (through.get(k) ?? 0));
    return DEVICE_KINDS.flatMap((k) => this.kinds[k].devices.all(upTo(k)).map((key) => [k, key] as [DeviceKind, number]));
  }

}
