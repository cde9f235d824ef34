import type { IngestSink, IngestWrite, IngestWriteResult, TelemetryRecord } from '../index.js';
import { deleteInChunks } from './chunked-delete.js';
import type { SqliteDatabase } from './database.js';
import type { DeviceKeys } from './device-keys.js';
import type { DurableCommits } from './durable-commits.js';
import { IngestExtras } from './ingest-extras.js';
import type Database from 'better-sqlite3';

/**
 * The durable outbox for a remote telemetry store (InfluxDB). Ingest's group
 * commit writes readings here, in the same SQLite transaction as findings and
 * quarantine, so PUBACK still waits for an fsync on this machine; a forwarder
 * sends the rows on in id order and deletes them only once the remote write is
 * confirmed. AUTOINCREMENT: ids are never reused, so "in order" holds even after
 * the outbox was empty.
 *
 * `telemetry_seen` remembers which (device, boot, seq) were accepted, so a resend
 * is still reported as a duplicate (and raises no second alert) after its row left
 * the outbox. It is kept for a de-duplication window only: past it, a replay is
 * written again and InfluxDB overwrites the point (same series, same time).
 */
const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS telemetry_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  line TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS telemetry_outbox_refused (
  id INTEGER PRIMARY KEY,
  line TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL,
  refused_at INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS telemetry_seen (
  device_key INTEGER NOT NULL,
  boot TEXT NOT NULL,
  seq INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (device_key, boot, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS telemetry_seen_received ON telemetry_seen(received_at);
`;

export interface ForgetOptions {
  /** Most rows one transaction deletes (the event loop runs between transactions). */
  chunkRows?: number;
  /** Checked between chunks: true stops (the rest goes next time). */
  stopped?: () => boolean;
}

export interface OutboxRow {
  id: number;
  line: string;
  enqueuedAt: number;
}

/** Turns an accepted reading into the line the remote store receives; may throw for an unknown device. */
export type LineEncoder = (record: TelemetryRecord) => string;

/** The queue side, for the forwarder. */
export interface OutboxQueue {
  /** The oldest rows, in order. */
  peek(limit: number): OutboxRow[];
  /** Deletes every row up to and including this id (after a confirmed write). */
  remove(throughId: number): void;
  /** Moves one row the server refuses on its own to `telemetry_outbox_refused`, with the reason. */
  setAside(id: number, reason: string): void;
  /** Rows waiting. */
  size(): number;
  /** When the oldest waiting row was enqueued (server clock), if any. */
  oldestEnqueuedAt(): number | undefined;
}

export class SqliteOutbox implements IngestSink, OutboxQueue {
  private readonly stmt;
  private readonly extras: IngestExtras;
  private readonly transaction: (writes: IngestWrite[]) => Promise<IngestWriteResult[]>;
  private rows: number;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly keys: DeviceKeys,
    commits: DurableCommits,
    private readonly encode: LineEncoder,
    private readonly clock: () => number = Date.now,
  ) {
    db.exec(OUTBOX_SCHEMA);
    // Rows enqueued before point times went to ns end in a ms time (13 digits); the writer now sends ns.
    db.exec(`UPDATE telemetry_outbox SET line = line || '000000' WHERE length(line) - length(rtrim(line, '0123456789')) BETWEEN 1 AND 16`);
    this.stmt = {
      seen: db.prepare('INSERT OR IGNORE INTO telemetry_seen (device_key, boot, seq, received_at) VALUES (?, ?, ?, ?)'),
      enqueue: db.prepare('INSERT INTO telemetry_outbox (line, enqueued_at) VALUES (?, ?)'),
      peek: db.prepare<[number], { id: number; line: string; enqueued_at: number }>('SELECT id, line, enqueued_at FROM telemetry_outbox ORDER BY id LIMIT ?'),
      remove: db.prepare('DELETE FROM telemetry_outbox WHERE id <= ?'),
      removeOne: db.prepare('DELETE FROM telemetry_outbox WHERE id = ?'),
      oldest: db.prepare<[], { enqueued_at: number }>('SELECT enqueued_at FROM telemetry_outbox ORDER BY id LIMIT 1'),
      forget: db.prepare<[number, number]>(
        `DELETE FROM telemetry_seen WHERE (device_key, boot, seq) IN
           (SELECT device_key, boot, seq FROM telemetry_seen WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
      ),
      forgetRefused: db.prepare<[number, number]>('DELETE FROM telemetry_outbox_refused WHERE id IN (SELECT id FROM telemetry_outbox_refused WHERE refused_at < ? LIMIT ?)'),
      refuse: db.prepare(
        'INSERT INTO telemetry_outbox_refused (id, line, enqueued_at, refused_at, reason) SELECT id, line, enqueued_at, ?, ? FROM telemetry_outbox WHERE id = ?',
      ),
    };
    this.extras = new IngestExtras(db, keys);
    this.transaction = commits.transaction((writes: IngestWrite[]) => writes.map((w) => this.apply(w)));
    this.rows = this.countRows();
  }

  private countRows(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM telemetry_outbox').get() as { n: number }).n;
  }

  async writeBatch(writes: IngestWrite[]): Promise<IngestWriteResult[]> {
    // The transaction may run later than this call (durable commits are held while the WAL starts over), so
    // what it did is read from its outcome, not from the count around the call.
    try {
      const results = await this.transaction(writes);
      if (results.some((r) => r.readingsInserted.includes(true))) for (const listener of this.listeners) listener();
      return results;
    } catch (error) {
      // Rolled back after raising the count, or committed and then not synced: the table knows which.
      this.rows = this.countRows();
      throw error;
    }
  }

  /** Called after each write that enqueued rows, once it is durable (the forwarder wakes up). */
  onEnqueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private apply(write: IngestWrite): IngestWriteResult {
    const now = this.clock();
    const readingsInserted = write.readings.map((r) => {
      const fresh = this.stmt.seen.run(this.keys.require(r.deviceId), r.boot, r.seq, r.receivedAt).changes > 0;
      if (fresh) {
        this.stmt.enqueue.run(this.encode(r), now);
        this.rows++;
      }
      return fresh;
    });
    return { readingsInserted, findingsInserted: this.extras.apply(write) };
  }

  peek(limit: number): OutboxRow[] {
    return this.stmt.peek.all(limit).map((r) => ({ id: r.id, line: r.line, enqueuedAt: r.enqueued_at }));
  }

  remove(throughId: number): void {
    this.rows = Math.max(0, this.rows - this.stmt.remove.run(throughId).changes);
  }

  setAside(id: number, reason: string): void {
    this.db.transaction(() => {
      this.stmt.refuse.run(this.clock(), reason, id);
      this.rows = Math.max(0, this.rows - this.stmt.removeOne.run(id).changes);
    })();
  }

  /** Deletes refused rows set aside before `before` (epoch ms), in chunks; resolves to how many. */
  forgetRefusedBefore(before: number, options: ForgetOptions = {}): Promise<number> {
    return this.forget(this.stmt.forgetRefused, before, options);
  }

  /** Rows InfluxDB refused, oldest first (for an operator to look at). */
  refused(): { id: number; line: string; reason: string; refusedAt: number }[] {
    return this.db.prepare<[], { id: number; line: string; reason: string; refusedAt: number }>('SELECT id, line, reason, refused_at AS refusedAt FROM telemetry_outbox_refused ORDER BY id').all();
  }

  size(): number {
    return this.rows;
  }

  oldestEnqueuedAt(): number | undefined {
    return this.stmt.oldest.get()?.enqueued_at;
  }

  /**
   * Forgets de-duplication keys received before `before` (epoch ms), `chunkRows`
   * per transaction with the event loop free in between (a day of a large fleet's
   * keys is millions of rows); resolves to how many.
   */
  forgetSeenBefore(before: number, options: ForgetOptions = {}): Promise<number> {
    return this.forget(this.stmt.forget, before, options);
  }

  private forget(remove: Database.Statement<[number, number]>, before: number, options: ForgetOptions): Promise<number> {
    return deleteInChunks(this.db, [(limit) => remove.run(before, limit).changes], {
      chunkRows: options.chunkRows ?? 5_000,
      ...(options.stopped ? { stopped: options.stopped } : {}),
    });
  }
}
