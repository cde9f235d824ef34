import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { SqliteDatabase } from './database.js';

/**
 * One set of rows to delete, usually one index range (a device's rows older than
 * a cutoff): deletes at most `limit` of them and returns how many it deleted.
 * Fewer than `limit` means none are left.
 */
export type DeleteTarget = (limit: number) => number;

export interface ChunkedDeleteOptions {
  /** Most rows one transaction deletes. */
  chunkRows: number;
  /** Most targets one transaction visits (most find nothing to delete; each is still an index probe). */
  targetsPerChunk?: number;
  /** Checked between chunks: true ends the job early (what is left goes at the next run). */
  stopped?: () => boolean;
}

/**
 * Deletes in transactions of at most `chunkRows` rows and yields to the event
 * loop between them. A single DELETE of a day of a city's readings would hold the
 * one SQLite connection (and with it MQTT, HTTP and ingest's commits) for
 * seconds, and a DELETE per device outside a transaction would fsync once per
 * device; chunks keep each step short and share one fsync among many rows.
 * Returns the rows deleted.
 */
export async function deleteInChunks(db: SqliteDatabase, targets: Iterable<DeleteTarget>, options: ChunkedDeleteOptions): Promise<number> {
  const perChunk = options.targetsPerChunk ?? 500;
  const iterator = targets[Symbol.iterator]();
  let current = iterator.next();
  let total = 0;
  const chunk = db.transaction(() => {
    let rows = 0;
    for (let visited = 0; !current.done && rows < options.chunkRows && visited < perChunk; ) {
      const limit = options.chunkRows - rows;
      const deleted = current.value(limit);
      rows += deleted;
      if (deleted < limit) {
        current = iterator.next();
        visited++;
      }
    }
    return rows;
  });
  while (!current.done && !options.stopped?.()) {
    total += chunk();
    await yieldToEventLoop();
  }
  return total;
}
