import type { TaskMeta } from 'vitest';

/**
 * Figures a fault test reports for the closing summary: how many faults it
 * injected, bad inputs it tried, readings acknowledged and lost, and memory at
 * its peak. They travel in the test's meta; test/summary-reporter.ts adds them
 * up and prints one `fault figures:` JSON line at the end of `npm test`.
 */
export interface FaultFigures {
  faultsInjected?: number;
  badInputs?: number;
  acknowledged?: number;
  lost?: number;
  crashes?: number;
  /** Peak resident set size of the process serving the hostile clients, MiB. */
  peakRssMiB?: number;
  /** Growth of the JS heap plus Buffers (external memory) from before to the peak of the hostile phase, MiB. */
  heapGrowthMiB?: number;
}

declare module 'vitest' {
  interface TaskMeta {
    faultFigures?: FaultFigures;
  }
}

const MAX_FIELDS = new Set<keyof FaultFigures>(['peakRssMiB', 'heapGrowthMiB']);

/** Adds figures to the test's own (counts add up, memory keeps the maximum). */
export function recordFigures(task: { meta: TaskMeta }, figures: FaultFigures): void {
  task.meta.faultFigures = mergeFigures(task.meta.faultFigures ?? {}, figures);
}

export function mergeFigures(a: FaultFigures, b: FaultFigures): FaultFigures {
  const out: FaultFigures = { ...a };
  for (const [key, value] of Object.entries(b) as [keyof FaultFigures, number][]) {
    const before = out[key];
    out[key] = before === undefined ? value : MAX_FIELDS.has(key) ? Math.max(before, value) : before + value;
  }
  return out;
}

const MiB = 1024 * 1024;

/** JS heap plus memory held by Buffers, which live outside the heap (a buffered packet body is a Buffer). */
const heapAndBuffers = () => {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

/**
 * Samples this process's memory while hostile clients are served (the test
 * server runs in the test's own process): peak RSS, and how far heap and
 * Buffers grew above where they stood at the start.
 */
export class MemoryWatch {
  private readonly baseHeap = heapAndBuffers();
  private peakRss = process.memoryUsage.rss();
  private peakHeap = this.baseHeap;
  private readonly timer = setInterval(() => this.sample(), 10);

  sample(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
    this.peakHeap = Math.max(this.peakHeap, heapAndBuffers());
  }

  stop(): { peakRssMiB: number; heapGrowthMiB: number } {
    clearInterval(this.timer);
    this.sample();
    const round = (n: number) => Math.round((n / MiB) * 10) / 10;
    return { peakRssMiB: round(this.peakRss), heapGrowthMiB: round(this.peakHeap - this.baseHeap) };
  }
}
