import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { median } from './alternation.js';
import { spawnPinned } from './children.js';
import { round } from './protocol.js';

/** A probe's figures at a wall-clock time: the CPU its fixed arithmetic took, and its two walks through memory. */
interface Sample {
  at: number;
  us: number;
  memoryUs: number;
  cacheUs: number;
}

type Measure = 'us' | 'memoryUs' | 'cacheUs';
/** Each measure's field suffix on a line: core0SpeedPct, core0MemoryPct, core0CachePct. */
const FIELD: Record<Measure, string> = { us: 'SpeedPct', memoryUs: 'MemoryPct', cacheUs: 'CachePct' };

/** How often each probe samples. */
const INTERVAL_MS = 200;

/**
 * The host's side of a run, core by core, measured during the window itself:
 * how fast each core runs compared with when the bench started on an idle
 * machine. Mosquitto's CPU and the disk probe (bench/disk-probe.ts) witness the
 * host in their own runs, before or after ours; this one runs beside the server.
 *
 * Why: at 10,000 readings/s the server's core is 70–80 % busy, and in some runs
 * it holds 90–99 % for the same load while Mosquitto, measured minutes later,
 * looks quiet. Either the server did more work per reading or the core ran
 * slower; the server's CPU figures cannot tell which, because this
 * VM reports no steal time: time the host takes away is counted to whatever was
 * running. A probe on each core (bench/core-speed-process.ts), at the lowest
 * priority, times in CPU time every 200 ms a fixed piece of arithmetic, a
 * walk through 64 MiB of memory and one through 4 MiB, about 0.8 % of the
 * core. `core0SpeedPct` 100 is the arithmetic's speed at the
 * start; 80 means it took a quarter more CPU during the window.
 * `core0MemoryPct` and `core0CachePct` are the same for the two walks.
 */
export class CoreSpeed {
  private readonly samples: Sample[][];
  private readonly children: ChildProcess[];
  private calibration: Array<Record<Measure, number>> = [];
  private window = { start: 0, end: 0 };

  private constructor(private readonly cores: number[]) {
    this.samples = cores.map(() => []);
    this.children = cores.map((core, i) => {
      const child = spawnPinned(process.execPath, [join(import.meta.dirname, 'core-speed-process.js'), String(INTERVAL_MS)], { label: `core-speed-${core}`, core, ipc: true });
      child.on('message', (m: { type: string } & Sample) => {
        if (m.type === 'sample') this.samples[i]!.push({ at: m.at, us: m.us, memoryUs: m.memoryUs, cacheUs: m.cacheUs });
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
      const of = (what: Measure) => median(calibrating.map((x) => x[what]));
      return { us: of('us'), memoryUs: of('memoryUs'), cacheUs: of('cacheUs') };
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
   * through 64 MiB, `core0CachePct` for the walk through 4 MiB (and the same
   * for core 1).
   */
  windowFields(): Record<string, number> {
    const { start, end } = this.window;
    const fields: Record<string, number> = {};
    this.cores.forEach((core, i) => {
      const inWindow = this.samples[i]!.filter((x) => x.at >= start && x.at <= end);
      const calibrated = this.calibration[i]!;
      for (const what of Object.keys(FIELD) as Measure[]) {
        const now = median(inWindow.map((x) => x[what]));
        // NaN where a probe sent nothing in the window or the calibration: no field.
        if (now > 0 && calibrated[what] > 0) fields[`core${core}${FIELD[what]}`] = round((calibrated[what] / now) * 100, 1);
      }
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
