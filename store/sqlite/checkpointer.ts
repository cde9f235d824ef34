import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './database.js';

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
   * WAL frames (pages) past which the worker forces the log to start over
   * (`wal_checkpoint(RESTART)`, which holds writers back for the few frames left).
   */
  restartFrames?: number;
  /** Told once when a checkpoint fails or the worker dies; the connection then checkpoints in its own commits again. */
  onError?: (error: Error) => void;
}

/** SQLite's own default: a checkpoint inside the commit that takes the WAL past 1,000 pages. */
const AUTOCHECKPOINT_PAGES = 1_000;

/**
 * The worker's code, run with `eval` so it loads the same way from the compiled
 * build and from the TypeScript sources under vitest. It never writes a row:
 * a PASSIVE checkpoint copies committed pages into the database file without
 * taking the write lock, so ingest commits go on meanwhile. Under steady writes
 * a checkpoint rarely catches the very last frame, and the WAL only starts over
 * when one does before the next commit, so each tick repeats the (short) catch-up
 * a few times, and a WAL past `restartFrames` is restarted outright. A RESTART
 * holds the write lock while it syncs the database file, and the ingest commit
 * waiting for the lock sleeps on the event loop (SQLite's busy handler): at
 * 10,000 readings/s, one every 2-3 s held the loop 8-26 ms. The worker syncs the
 * file first, without the lock, so the RESTART holds it for 2-7 ms.
 */
const WORKER_SOURCE = `
const { closeSync, fdatasyncSync, openSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 100');
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
const dbFd = openSync(workerData.file, 'r');
function tick() {
  let r = passive.get();
  for (let round = 0; round < 4 && r.busy === 0 && r.checkpointed < r.log; round++) r = passive.get();
  if (r.log > workerData.restartFrames) {
    // The pages the checkpoints copied reach the disk now, holding no lock: the RESTART's own sync,
    // made while it holds back every writer (the ingest commit, on the event loop), then has little left.
    fdatasyncSync(dbFd);
    restart.get();
  }
}
const timer = setInterval(() => {
  try { tick(); } catch (error) { parentPort.postMessage({ error: String(error && error.message || error) }); }
}, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); closeSync(dbFd); parentPort.close(); });
`;

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

  constructor(
    private readonly db: SqliteDatabase,
    file: string,
    options: CheckpointerOptions = {},
  ) {
    db.pragma('wal_autocheckpoint = 0');
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file, everyMs: options.everyMs ?? 1_000, restartFrames: options.restartFrames ?? 20_000 },
    });
    // Never what keeps the process alive.
    this.worker.unref();
    // Any failure, a checkpoint that throws or the worker dying, hands checkpoints back to the connection, once.
    let failed = false;
    const fail = (error: Error) => {
      if (failed || this.closing) return;
      failed = true;
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      options.onError?.(error);
      void this.worker.terminate();
    };
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error) fail(new Error(`WAL checkpoint failed: ${m.error}`));
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
    this.worker.postMessage('close');
    const timer = setTimeout(() => void this.worker.terminate(), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
