import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/**
 * Ad hoc, with SK_BENCH_TIMELINE=dir: what happened when, on one clock (epoch
 * ms, from `performance.timeOrigin`), in each bench process, written as JSON
 * when the process ends its run. The load generator records every timed
 * message (sent at, latency); the server records its GC pauses, the stalls
 * of its event loop, its watched spans and the machine's disk. `node
 * dist/bench/timeline-summary.js dir` lists the worst moments of the window
 * with what overlapped them, and each second of it.
 */
export const TIMELINE_DIR = process.env.SK_BENCH_TIMELINE;

/** A growing column of numbers, kept in a Float64Array: recording allocates nothing per entry. */
export class Column {
  private values = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  /** The numbers pushed so far (a view: valid until the next push). */
  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }

  toArray(): number[] {
    return Array.from(this.view(), (v) => Math.round(v * 1000) / 1000);
  }
}

export function epochMs(performanceNow: number): number {
  return performance.timeOrigin + performanceNow;
}

/** A prom-client histogram, as far as {@link ServerTimeline.watch} needs it. */
interface Observed {
  observe(labelsOrValue: number | Record<string, string>, value?: number): void;
}

export interface ServerTimeline {
  /**
   * From now on, each observation of `histogram` (a duration in seconds, told
   * when it ends) is also kept as a span named `name`: the group commits, the
   * WAL's copies and holds, the folds, on the same clock as the messages.
   */
  watch(name: string, histogram: Observed): void;
  write(name: string): void;
}

/** Whole disks in /proc/diskstats (not their partitions). */
const WHOLE_DISK = /^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+|mmcblk\d+)$/;

/**
 * The machine's disk, every 250 ms on Linux (nothing elsewhere): the page
 * cache's dirty kB, and the writes completed, the sectors written and the ms
 * of queued I/O (counted since boot, summed over whole disks). A burst of writes from a sync
 * queues every WAL sync behind it, and a PUBACK waits for its WAL sync.
 */
function sampleDisk(): { at: Column; dirtyKiB: Column; writes: Column; writtenSectors: Column; queuedMs: Column } {
  const disk = { at: new Column(), dirtyKiB: new Column(), writes: new Column(), writtenSectors: new Column(), queuedMs: new Column() };
  const sample = () => {
    let meminfo: string;
    let diskstats: string;
    try {
      meminfo = readFileSync('/proc/meminfo', 'utf8');
      diskstats = readFileSync('/proc/diskstats', 'utf8');
    } catch {
      clearInterval(timer);
      return;
    }
    let writes = 0;
    let writtenSectors = 0;
    let queuedMs = 0;
    for (const line of diskstats.split('\n')) {
      // major, minor, name, then the counters of Documentation/admin-guide/iostats.rst: [7] writes completed, [9] sectors written (512 bytes), [13] weighted ms of I/O.
      const f = line.trim().split(/\s+/);
      if (!WHOLE_DISK.test(f[2] ?? '')) continue;
      writes += Number(f[7]);
      writtenSectors += Number(f[9]);
      queuedMs += Number(f[13]);
    }
    disk.at.push(epochMs(performance.now()));
    disk.dirtyKiB.push(Number(/^Dirty:\s+(\d+)/m.exec(meminfo)?.[1] ?? Number.NaN));
    disk.writes.push(writes);
    disk.writtenSectors.push(writtenSectors);
    disk.queuedMs.push(queuedMs);
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  return disk;
}

/**
 * The server's side: GC pauses (start, duration, kind), event-loop stalls (when a
 * 2 ms timer fired, how late) and the spans of what it {@link ServerTimeline.watch watches}.
 */
export function recordServerTimeline(dir: string): ServerTimeline {
  const gc = { at: new Column(), ms: new Column(), kind: new Column() };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.at.push(epochMs(entry.startTime));
      gc.ms.push(entry.duration);
      gc.kind.push((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0);
    }
  }).observe({ entryTypes: ['gc'] });
  const stall = { at: new Column(), lateMs: new Column() };
  const INTERVAL_MS = 2;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - INTERVAL_MS;
    // Late by more than the timer's own jitter: the loop was held.
    if (late > 3) {
      stall.at.push(epochMs(last + INTERVAL_MS));
      stall.lateMs.push(late);
    }
    last = now;
  }, INTERVAL_MS).unref();
  const watched = new Map<string, { at: Column; ms: Column }>();
  const disk = sampleDisk();
  return {
    watch(name, histogram) {
      const span = { at: new Column(), ms: new Column() };
      watched.set(name, span);
      const observe = histogram.observe.bind(histogram);
      histogram.observe = (labelsOrValue, value) => {
        const ms = (typeof labelsOrValue === 'number' ? labelsOrValue : value!) * 1000;
        const end = epochMs(performance.now());
        span.at.push(end - ms);
        span.ms.push(ms);
        observe(labelsOrValue, value);
      };
    },
    write(name) {
      const spans = Object.fromEntries([...watched].map(([spanName, { at, ms }]) => [spanName, { at: at.toArray(), ms: ms.toArray() }]));
      const out = {
        gcAt: gc.at.toArray(),
        gcMs: gc.ms.toArray(),
        gcKind: gc.kind.toArray(),
        stallAt: stall.at.toArray(),
        stallMs: stall.lateMs.toArray(),
        spans,
        disk: Object.fromEntries(Object.entries(disk).map(([key, column]) => [key, column.toArray()])),
      };
      writeFileSync(join(dir, `${name}-server.json`), JSON.stringify(out));
    },
  };
}
