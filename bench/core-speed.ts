import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { spawnPinned } from './children.js';
import { round } from './protocol.js';

/** A probe's figures at a wall-clock time: the CPU its fixed arithmetic took, and its walk through memory. */
interface Sample {
  at: number;
  us: number;
  memoryUs: number;
}

/** How often each probe samples. */
const INTERVAL_MS = 200;

const median = (values: number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/**
 * The host's side of a run, core by core, measured during the window itself:
 * how fast each core runs compared with when the bench started on an idle
 * machine. Mosquitto's CPU and the disk probe (bench/disk-probe.ts) witness the
 * host in their own runs, before or after ours; this one runs beside the server.
 *
 * Why: at 10,000 readings/s the server's core is 70–80 % busy, and in some runs
 * it holds 95–99 % for the same load while Mosquitto, measured minutes later,
 * looks quiet (nineteenth pass). Either the server did more work per reading or
 * the core ran slower; the server's CPU figures cannot tell which, because this
 * VM reports no steal time: time the host takes away is counted to whatever was
 * running. A probe on each core (bench/core-speed-process.ts), at the lowest
 * priority, times in CPU time a fixed piece of arithmetic and a fixed walk
 * through 64 MiB of memory every 200 ms, about 0.65 % of the core.
 * `core0SpeedPct` 100 is the arithmetic's speed at the start; 80 means it took a
 * quarter more CPU during the window. `core0MemoryPct` is the same for the walk.
 */
export class CoreSpeed {
  private readonly samples: Sample[][];
  private readonly children: ChildProcess[];
  private calibration: Array<Record<'us' | 'memoryUs', number>> = [];
  private window = { start: 0, end: 0 };

  private constructor(private readonly cores: number[]) {
    this.samples = cores.map(() => []);
    this.children = cores.map((core, i) => {
      const child = spawnPinned(process.execPath, [join(import.meta.dirname, 'core-speed-process.js'), String(INTERVAL_MS)], { label: `core-speed-${core}`, core, ipc: true });
      child.on('message', (m: { type: string } & Sample) => {
        if (m.type === 'sample') this.samples[i]!.push({ at: m.at, us: m.us, memoryUs: m.memoryUs });
      });
      return child;
    });
  }

  /**
   * Starts a probe on each core and calibrates for `calibrateMs` while nothing
   * else of the bench runs; from then on every load window reports the cores'
   * speed ({@link runningCoreSpeed}).
   */
  static async start(cores: number[], calibrateMs = 3_000): Promise<CoreSpeed> {
    const speed = new CoreSpeed(cores);
    running = speed;
    // The probes build their 64 MiB walk first, and their first samples run before the JIT has compiled them.
    await sleep(2_000);
    const from = Date.now();
    await sleep(calibrateMs);
    speed.calibration = speed.samples.map((s) => {
      const calibrating = s.filter((x) => x.at >= from);
      return { us: median(calibrating.map((x) => x.us)) ?? 0, memoryUs: median(calibrating.map((x) => x.memoryUs)) ?? 0 };
    });
    return speed;
  }

  /** Marks a window's edge, at the moments the server's CPU figures are taken. */
  mark(edge: 'start' | 'end'): void {
    this.window[edge] = Date.now();
  }

  /**
   * Per core, its speed in the window last marked as % of its speed at the
   * start: `core0SpeedPct` for the arithmetic, `core0MemoryPct` for the walk
   * through memory (and the same for core 1).
   */
  windowFields(): Record<string, number> {
    const { start, end } = this.window;
    const fields: Record<string, number> = {};
    this.cores.forEach((core, i) => {
      const inWindow = this.samples[i]!.filter((x) => x.at >= start && x.at <= end);
      const calibrated = this.calibration[i]!;
      const pct = (what: 'us' | 'memoryUs') => {
        const now = median(inWindow.map((x) => x[what]));
        return now !== undefined && now > 0 && calibrated[what] > 0 ? round((calibrated[what] / now) * 100, 1) : undefined;
      };
      const [speed, memory] = [pct('us'), pct('memoryUs')];
      if (speed !== undefined) fields[`core${core}SpeedPct`] = speed;
      if (memory !== undefined) fields[`core${core}MemoryPct`] = memory;
    });
    return fields;
  }

  close(): void {
    if (running === this) running = undefined;
    for (const child of this.children) if (child.connected) child.disconnect();
  }
}

let running: CoreSpeed | undefined;

/** The probes run.ts started, if any (none when processes are not pinned). */
export function runningCoreSpeed(): CoreSpeed | undefined {
  return running;
}
