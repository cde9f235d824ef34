import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** How long a process's event loop stalled over a stretch of time: timer lateness and GC pauses. */
export interface Pauses {
  /** How late timers fire: GC pauses, long synchronous work and CPU taken by other processes all show here. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** The collector's stop-the-world pauses, to tell them from long synchronous work when the loop stalls. */
  gcMaxPauseMs: number;
  gcPauseTotalMs: number;
}

/**
 * Watches this process's event loop and collector from the call on. `take()`
 * returns what happened since the previous `take()` (or the start) and starts a
 * new stretch. Each bench process that is measured, or that measures, runs one:
 * a stall in the load generator delays the PUBACKs it times as much as one in
 * the server does.
 */
export function watchPauses(): { take(): Pauses } {
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const gc = { maxMs: 0, totalMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
      gc.totalMs += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return {
    take() {
      const pauses: Pauses = {
        loopDelayP99Ms: loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : 0,
        loopDelayMaxMs: loopDelay.count > 0 ? loopDelay.max / 1e6 : 0,
        gcMaxPauseMs: gc.maxMs,
        gcPauseTotalMs: gc.totalMs,
      };
      loopDelay.reset();
      gc.maxMs = 0;
      gc.totalMs = 0;
      return pauses;
    },
  };
}
