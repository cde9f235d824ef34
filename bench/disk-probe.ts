import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LatencyRecorder } from './latency.js';
import type { LatencySummary } from './protocol.js';

export interface DiskProbeOptions {
  /** Most syncs to time (default 300). */
  syncs?: number;
  /** Stops after this long even if fewer syncs were made (default 1,500 ms): a slow disk must not stall the run. */
  maxMs?: number;
}

/** Bytes written before each sync: one page, as a group commit of one reading appends to the WAL. */
const PAGE = 4_096;
/** The probe's file, written in place from its start again, as SQLite reuses its WAL. */
const FILE_PAGES = 512;

/**
 * The disk's side of the host's state, as Mosquitto's CPU is the CPU's: how long
 * an fdatasync of one freshly written 4 KiB page takes in `dir`. The server's
 * PUBACK waits for exactly such a sync of the WAL, and on a shared machine the
 * disk slows down on its own, unseen by any CPU figure: the eighteenth and
 * nineteenth passes had runs where Mosquitto's CPU said the host was quiet while
 * each checkpoint copy took four times its usual time.
 *
 * The file is allocated and synced first, so the timed syncs write data only, as
 * the WAL's do once it has reached its size.
 */
export function probeDisk(dir: string, options: DiskProbeOptions = {}): LatencySummary {
  const file = join(dir, 'disk-probe');
  const fd = openSync(file, 'w');
  try {
    const page = Buffer.alloc(PAGE, 0x5a);
    for (let i = 0; i < FILE_PAGES; i++) writeSync(fd, page, 0, PAGE, i * PAGE);
    fdatasyncSync(fd);
    const latencies = new LatencyRecorder();
    const deadline = performance.now() + (options.maxMs ?? 1_500);
    for (let i = 0; i < (options.syncs ?? 300) && performance.now() < deadline; i++) {
      page.writeUInt32LE(i, 0);
      writeSync(fd, page, 0, PAGE, (i % FILE_PAGES) * PAGE);
      const started = performance.now();
      fdatasyncSync(fd);
      latencies.add(performance.now() - started);
    }
    return latencies.summary();
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
}
