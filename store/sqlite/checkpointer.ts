import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './database.js';
import type { DurableCommits } from './durable-commits.js';

export interface CheckpointerOptions {
  /**
   * How often the worker copies the WAL into the database file (default 1,000).
   * A checkpoint copies each page once however often the WAL holds it, and every
   * reading dirties its device's index leaf: at 10,000 readings/s from 2,000
   * devices a tick every 250 ms finds some 1,400 leaves changed, four times a
   * second, a tick every second nearly all 2,000 once (an estimate), and syncs the
   * file once instead of four times. Measured: the worker thread's CPU fell from
   * 290–350 to 120–160 ms in 8 s on the server's one core. The WAL file then peaks
   * at 110 MB instead of 90 (the restart threshold plus a tick's frames; bench/README.md,
   * "Fifteenth pass").
   */
  everyMs?: number;
  /**
   * WAL frames (pages) past which the worker starts the log over: it holds durable
   * commits back for the moment it takes to copy the last frames into the file, and
   * the next commit then writes the WAL from its start.
   */
  restartFrames?: number;
  /**
   * Longest the durable commits are held for a start-over, in ms (default 50): if the
   * worker has not answered by then they go on, and the log starts over at a later try.
   */
  maxHoldMs?: number;
  /**
   * The worker thread's nice value on Linux (default 10; 0 leaves it as it is). A
   * checkpoint copies a second's worth of pages and syncs the file, 10-60 ms of a
   * core, and the server's threads share its cores: at 10,000 readings/s on one
   * core, the PUBACKs sent in the 100 ms after a checkpoint began were most of the
   * slow ones. At 10 the event loop keeps about nine tenths of a shared core while
   * a checkpoint runs, which then takes longer but still gets a tenth of the core,
   * so a saturated server still checkpoints. Linux only: there a thread's priority
   * is its own, elsewhere the call would lower the whole process.
   */
  niceness?: number;
  /**
   * Whether the worker syncs the database file after each copy of new frames
   * (default true). SQLite syncs it only after a copy during which no commit came,
   * and under steady ingest that is only the copy made during a hold. The pages
   * copied in the seconds before it waited in the page cache (30-35 MB at 10,000
   * readings/s), and the hold's sync wrote them all at once: the disk's queue then
   * held every WAL sync, and so every PUBACK, for 50-100 ms at each start-over.
   * Synced after each copy, the same pages reach the disk a second's worth at a
   * time, and the hold's sync finds little to write (bench/README.md,
   * "Twenty-second pass"). The cost: a page rewritten within a few seconds is
   * written each time. Where the worker cannot find the file's descriptor (no
   * `/proc/self/fd` or `/dev/fd`), copies go on unsynced, as before.
   */
  syncCopies?: boolean;
  /** Told once when a checkpoint fails or the worker dies; the connection then checkpoints in its own commits again. */
  onError?: (error: Error) => void;
  /** Told after every copy the worker makes (a PASSIVE checkpoint), for metrics. */
  onCopy?: (copy: CheckpointCopy) => void;
  /** Told when durable commits go on after a hold for a start-over, for metrics. */
  onHold?: (hold: CheckpointHold) => void;
  /**
   * Told after the fallback RESTART, which takes SQLite's write lock while it copies
   * and syncs a log four times past its limit: every commit meanwhile waits for it.
   */
  onForcedRestart?: (seconds: number) => void;
}

/** One PASSIVE checkpoint of the worker. */
export interface CheckpointCopy {
  /** How long it took: the copy into the database file and its sync. */
  seconds: number;
  /** Frames in the WAL, and how many of them are now in the database file. */
  walFrames: number;
  copiedFrames: number;
  /** Whether the worker synced the database file after the copy ({@link CheckpointerOptions.syncCopies}). */
  synced: boolean;
}

/** Durable commits held while the log starts over. */
export interface CheckpointHold {
  /** From the hold to its release. */
  seconds: number;
  /** False when the worker had not answered within `maxHoldMs` and the commits went on without a start-over. */
  caughtUp: boolean;
}

/** SQLite's own default: a checkpoint inside the commit that takes the WAL past 1,000 pages. */
const AUTOCHECKPOINT_PAGES = 1_000;

/**
 * The worker's code, run with `eval` so it loads the same way from the compiled
 * build and from the TypeScript sources under vitest. It never writes a row: a
 * PASSIVE checkpoint copies committed pages into the database file without taking
 * the write lock, so commits go on meanwhile.
 *
 * The log has to start over now and then, or it grows for ever. SQLite does that
 * as a write begins, when every frame is in the database file; under steady
 * ingest a checkpoint made while commits go on rarely catches the last frame. So
 * once the WAL passes `restartFrames` the worker catches up in rounds while the
 * commits go on, then asks the connection to hold its durable commits (`hold`).
 * They wait off the event loop; the worker copies the few frames left, syncs them
 * and answers `released`, and the next commit writes the WAL from its start.
 *
 * The worker syncs the database file after each copy of new frames
 * ({@link CheckpointerOptions.syncCopies}), so the copied pages reach the disk a
 * second's worth at a time instead of all at the start-over.
 *
 * Before, the worker ran `wal_checkpoint(RESTART)`, which takes the write lock
 * for its copy and sync; an ingest commit that wanted the lock meanwhile slept on
 * the event loop in SQLite's busy handler. At 10,000 readings/s that was every 2-3 s,
 * for 3-12 ms, and the PUBACKs of those moments were the slowest of a run (bench/README.md,
 * "Sixteenth pass"). RESTART stays as the fallback for a log four times past its
 * limit (writes that are not held kept the catch-up from finishing).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// A system that refuses it (a sandbox) leaves the thread at the process's priority: checkpoints still run.
try { if (workerData.niceness > 0) require('node:os').setPriority(0, workerData.niceness); } catch {}
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 100');
const passiveCheckpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
// The database file's descriptor, to sync what a copy wrote. The worker never opens one of its own: closing it would
// drop SQLite's POSIX locks on the file for the whole process (https://sqlite.org/howtocorrupt.html, 2.2). It borrows
// one SQLite opened, checked to be the same file before each use; the worker's own connection keeps one open while it runs.
const fs = require('node:fs');
const dbFile = fs.statSync(workerData.file);
const isDbFile = (fd) => { try { const s = fs.fstatSync(fd); return s.ino === dbFile.ino && s.dev === dbFile.dev; } catch { return false; } };
let dbFd;
function findDbFd() {
  for (const dir of ['/proc/self/fd', '/dev/fd']) {
    let names;
    try { names = fs.readdirSync(dir); } catch { continue; }
    for (const name of names) if (isDbFile(Number(name))) return Number(name);
  }
  return undefined;
}
function syncDbFile() {
  if (dbFd === undefined || !isDbFile(dbFd)) dbFd = findDbFd();
  if (dbFd === undefined) return false;
  fs.fdatasyncSync(dbFd);
  return true;
}
// How many of the log's frames are in the database file and synced.
let syncedThrough = 0;
// Each copy is reported, so the server can show what checkpoints cost.
const passive = { get() {
  const started = performance.now();
  const r = passiveCheckpoint.get();
  // SQLite syncs the file only when no commit came during the copy, which its answer does not tell: r.log is the log
  // as the copy began. So every copy that copied frames is synced here, and one that found nothing new is not (a
  // sync with nothing to write can still flush the disk's cache).
  if (r.checkpointed < syncedThrough) syncedThrough = 0; // the log started over
  const synced = workerData.syncCopies && r.checkpointed > syncedThrough && syncDbFile();
  if (synced) syncedThrough = r.checkpointed;
  parentPort.postMessage({ copy: { seconds: (performance.now() - started) / 1000, walFrames: r.log, copiedFrames: r.checkpointed, synced } });
  return r;
} };
// Since when the worker waits for the connection's answer; a tick long after that asks again.
let holding = 0;
const report = (error) => parentPort.postMessage({ error: String(error && error.message || error) });
function tick() {
  if (holding !== 0 && performance.now() - holding < 5000) return;
  holding = 0;
  let r = passive.get();
  for (let round = 0; round < 4 && r.busy === 0 && r.checkpointed < r.log; round++) r = passive.get();
  if (r.log <= workerData.restartFrames) return;
  // The commits wait while the last frames are copied and synced, so leave as few as can be: each round copies what
  // came during the one before it, which took less time than that one, until a round finds only a few commits' worth.
  for (let round = 0, before = 0; round < 8 && r.log - before > 64; round++) {
    before = r.log;
    r = passive.get();
  }
  holding = performance.now();
  parentPort.postMessage({ hold: true });
}
// The connection holds its durable commits: copy what is left, and let them go on.
function catchUp() {
  try {
    const r = passive.get();
    if (r.checkpointed < r.log && r.log > 4 * workerData.restartFrames) {
      const started = performance.now();
      restart.get();
      parentPort.postMessage({ forcedRestart: (performance.now() - started) / 1000 });
    }
  } finally {
    holding = 0;
    parentPort.postMessage({ released: true });
  }
}
const timer = setInterval(() => {
  try { tick(); } catch (error) { report(error); }
}, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message === 'held') {
    try { catchUp(); } catch (error) { report(error); }
    return;
  }
  clearInterval(timer); db.close(); parentPort.close();
});
`;

/** What the worker tells the connection. */
interface WorkerMessage {
  error?: string;
  hold?: true;
  released?: true;
  copy?: CheckpointCopy;
  forcedRestart?: number;
}

/**
 * Moves WAL checkpoints off the event loop. By default SQLite checkpoints inside
 * whichever commit takes the WAL past 1,000 pages: that commit copies every page
 * into the database file and fsyncs it, and with one index leaf per reading it
 * held the event loop 15–45 ms at 10,000 readings/s. Here the connection never
 * checkpoints itself (`wal_autocheckpoint = 0`); a worker thread with its own
 * connection does, every {@link CheckpointerOptions.everyMs}. If the worker dies,
 * the connection goes back to checkpointing in its commits, so the WAL never grows
 * unchecked.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private closing = false;
  private readonly exited: Promise<void>;
  /** Lets the held commits go on (`caughtUp` false when the hold timed out); set while the worker copies the last frames. */
  private release: ((caughtUp?: boolean) => void) | undefined;

  /** @param commits the connection's durable commits, held while the log starts over. */
  constructor(
    private readonly db: SqliteDatabase,
    file: string,
    commits: Pick<DurableCommits, 'hold' | 'synced'>,
    options: CheckpointerOptions = {},
  ) {
    db.pragma('wal_autocheckpoint = 0');
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver,
        file,
        everyMs: options.everyMs ?? 1_000,
        restartFrames: options.restartFrames ?? 20_000,
        niceness: process.platform === 'linux' ? (options.niceness ?? 10) : 0,
        syncCopies: options.syncCopies ?? true,
      },
    });
    // Never what keeps the process alive.
    this.worker.unref();
    // Any failure, a checkpoint that throws or the worker dying, hands checkpoints back to the connection, once.
    let failed = false;
    const fail = (error: Error) => {
      if (failed || this.closing) return;
      failed = true;
      this.release?.(false);
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      options.onError?.(error);
      void this.worker.terminate();
    };
    const maxHoldMs = options.maxHoldMs ?? 50;
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.error) fail(new Error(`WAL checkpoint failed: ${m.error}`));
      else if (m.copy) options.onCopy?.(m.copy);
      else if (m.forcedRestart !== undefined) options.onForcedRestart?.(m.forcedRestart);
      else if (m.hold) {
        // Always answered, so the worker goes on; when closing, nothing is held.
        if (this.release || this.closing) return this.worker.postMessage('held');
        const release = commits.hold();
        const held = performance.now();
        const timer = setTimeout(() => this.release?.(false), maxHoldMs);
        this.release = (caughtUp = true) => {
          clearTimeout(timer);
          this.release = undefined;
          release();
          options.onHold?.({ seconds: (performance.now() - held) / 1000, caughtUp });
        };
        // Answered once what was committed is synced (the sync under way, which the PUBACKs wait for anyway):
        // the checkpoint's own sync of the WAL, made while the commits wait, then finds nothing to write.
        const answer = () => this.worker.postMessage('held');
        commits.synced().then(answer, answer);
      } else if (m.released) this.release?.();
    });
    this.worker.on('error', fail);
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        fail(new Error(`WAL checkpointer exited with code ${code}`));
        resolve();
      }),
    );
  }

  /** Stops the worker; the connection's own close then checkpoints what is left. */
  async close(): Promise<void> {
    if (this.closing) return this.exited;
    this.closing = true;
    this.release?.(false);
    this.worker.postMessage('close');
    const timer = setTimeout(() => void this.worker.terminate(), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
