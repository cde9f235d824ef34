import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/**
 * Ad hoc, with SK_BENCH_TIMELINE=dir: what happened when, on one clock (epoch
 * ms, from `performance.timeOrigin`), in each bench process, written as JSON
 * when the process ends its run. The load generator records every timed
 * message (sent at, latency); the server records its GC pauses and the stalls
 * of its event loop. `node dist/bench/timeline-summary.js dir` lists the worst
 * moments of the window with what overlapped them.
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

/** The server's side: GC pauses (start, duration, kind) and event-loop stalls (when a 2 ms timer fired, how late). */
export function recordServerTimeline(dir: string): { write(name: string): void } {
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
  return {
    write(name) {
      const out = { gcAt: gc.at.toArray(), gcMs: gc.ms.toArray(), gcKind: gc.kind.toArray(), stallAt: stall.at.toArray(), stallMs: stall.lateMs.toArray() };
      writeFileSync(join(dir, `${name}-server.json`), JSON.stringify(out));
    },
  };
}
