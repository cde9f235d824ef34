import { closeSync, fdatasync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteSynchronous } from './database.js';

/** The write-ahead log could not be synced: what was committed since the last good sync may not be on disk. */
export class WalSyncError extends Error {
  readonly code = 'wal_sync_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WalSyncError';
  }
}

type FdatasyncFn = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

export interface DurableCommitsOptions {
  /** The database file (':memory:' has nothing to sync). */
  file: string;
  synchronous: SqliteSynchronous;
  /** The sync itself; tests hold or fail it to see what waits for it. Default: `fs.fdatasync`. */
  fdatasync?: FdatasyncFn;
}

/**
 * Durable commits that do not hold the event loop while the disk syncs.
 *
 * With `synchronous=FULL` SQLite fsyncs the WAL inside COMMIT, and better-sqlite3
 * is synchronous: every group commit blocked the event loop for its fsync (0.3–0.4
 * ms here), which at 1,000 commits/s is 40% of the loop spent waiting for the disk
 * (`bench/README.md`, "Fourth pass"). In WAL mode FULL is NORMAL plus exactly that
 * fsync of the WAL after each commit (https://sqlite.org/pragma.html#pragma_synchronous);
 * so a transaction made {@link transaction durable} here commits with NORMAL and
 * then fdatasyncs the WAL on libuv's thread pool. Its promise resolves only after
 * that sync, so a caller that acknowledges on resolve (the PUBACK) acknowledges
 * exactly what FULL would have. Syncs are grouped: every commit made while one
 * sync is under way is covered by the single sync that follows it.
 *
 * Every other transaction on the connection keeps the configured mode (FULL syncs
 * inside its own COMMIT). With `synchronous: 'normal'`, or an in-memory database,
 * there is nothing to wait for and a durable transaction is a plain one.
 */
export class DurableCommits {
  private readonly walFd: number | undefined;
  private readonly relaxedMode: Database.Statement | undefined;
  private readonly strict: Database.Statement | undefined;
  /** The sync under way, and the one queued behind it for commits made meanwhile. */
  private current: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  /** Commits made through this object, and how many of them the sync under way covers. */
  private commits = 0;
  private currentCovers = 0;
  /** After a failed fdatasync the kernel may have dropped the dirty pages; a later "successful" sync proves nothing. */
  private broken: WalSyncError | undefined;
  /** While set, durable transactions wait for it to settle ({@link hold}). */
  private held: Promise<void> | undefined;

  private readonly fdatasync: FdatasyncFn;

  constructor(
    private readonly db: SqliteDatabase,
    options: DurableCommitsOptions,
  ) {
    const { file, synchronous } = options;
    this.fdatasync = options.fdatasync ?? fdatasync;
    if (file === ':memory:' || synchronous !== 'full') return;
    // The WAL exists once the schema has been written; SQLite keeps the same file (reset, not deleted) while this connection is open.
    this.walFd = openSync(`${file}-wal`, 'r');
    this.relaxedMode = db.prepare('PRAGMA synchronous = NORMAL');
    this.strict = db.prepare('PRAGMA synchronous = FULL');
  }

  /**
   * Wraps `fn` in a transaction. The transaction runs at once, unless durable
   * commits are {@link hold held}: when it fails it is rolled back and the error is
   * thrown, not returned (a held one runs once released, and its failure rejects).
   * Otherwise the promise
   * resolves once what it committed is on disk, or rejects when the sync failed
   * (then nothing it wrote may be acknowledged, though it is in the file).
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R> {
    const run = this.relaxed(fn);
    // With nothing to sync (NORMAL, or in memory) synced() resolves at once.
    const durable = (args: A) => {
      const result = run(...args);
      return this.synced().then(() => result);
    };
    // Held: it runs once released, after those asked for before it (the callbacks of one promise run in order).
    return (...args) => (this.held ? this.held.then(() => durable(args)) : durable(args));
  }

  /**
   * Holds durable {@link transaction}s back until the returned function is called:
   * one asked for meanwhile waits, off the event loop, and runs once released, in
   * the order asked. Relaxed transactions are not held. The WAL checkpointer holds
   * them for the few milliseconds it takes to copy the log's last frames into the
   * file, so that the next commit starts the log over: SQLite restarts the WAL only
   * when every frame is in the database file as a write begins, and under steady
   * ingest a checkpoint made while commits go on never catches the last one.
   */
  hold(): () => void {
    if (this.held) throw new Error('durable commits are already held');
    let release!: () => void;
    // Cleared in the first callback, so one asked for after the release and before the waiting ones ran still queues behind them.
    this.held = new Promise<void>((resolve) => (release = resolve)).then(() => {
      this.held = undefined;
    });
    return release;
  }

  /** While durable transactions are {@link hold held}: settles once they are released. */
  get holding(): Promise<void> | undefined {
    return this.held;
  }

  /**
   * Wraps `fn` in a transaction that commits without a sync and returns its
   * result at once; what it committed is on disk once a later {@link synced}
   * resolves. For writers that keep an order of their own and must not hold it
   * while the disk syncs (the alert lifecycle's queue).
   */
  relaxed<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const tx = this.db.transaction(fn);
    if (this.walFd === undefined) return tx;
    return (...args) => {
      this.relaxedMode!.run();
      try {
        const result = tx(...args);
        this.commits++;
        return result;
      } finally {
        this.strict!.run();
      }
    };
  }

  /** Resolves once everything committed before the call is on disk. */
  synced(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.walFd === undefined) return Promise.resolve();
    if (!this.current) return this.startSync();
    // Nothing committed since the sync under way began: it covers everything.
    if (this.currentCovers === this.commits) return this.current;
    // It started before a commit: wait for the next one, shared by every commit made meanwhile.
    this.queued ??= this.current.then(
      () => this.afterCurrent(),
      () => this.afterCurrent(),
    );
    return this.queued;
  }

  private afterCurrent(): Promise<void> {
    this.queued = undefined;
    return this.broken ? Promise.reject(this.broken) : this.startSync();
  }

  private startSync(): Promise<void> {
    this.currentCovers = this.commits;
    const sync = new Promise<void>((resolve, reject) => {
      this.fdatasync(this.walFd!, (error) => {
        if (this.current === sync) this.current = undefined;
        if (!error) return resolve();
        this.broken = new WalSyncError(`fdatasync of the SQLite WAL failed (${error.code ?? error.message}); restart the server to recover from the file`, {
          cause: error,
        });
        reject(this.broken);
      });
    });
    this.current = sync;
    return sync;
  }

  /** Waits for syncs under way, then lets go of the WAL's descriptor. */
  async close(): Promise<void> {
    await Promise.allSettled([this.current, this.queued]);
    if (this.walFd !== undefined) closeSync(this.walFd);
  }
}
