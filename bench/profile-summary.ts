/**
 * `node dist/bench/profile-summary.js <file> [top] [--inclusive] [--from s] [--to s] [--timeline] [--busy-over ms]`:
 * where a run's time or memory went, readable in a terminal.
 * - a `.cpuprofile` (as written by `--profile`): the functions with the most
 *   self time, with their share of the samples; with `--inclusive`, the time
 *   spent in each function and everything it called (a function counted once per
 *   sample however often it is on the stack), to see what a stage costs whole;
 *   `--from`/`--to` (seconds since the profile began) keep one stretch, such as
 *   a bench's load window after the set-up the server's process did first, and
 *   `--timeline` prints how busy each second was, to find that stretch;
 *   `--busy-over ms` keeps only the samples of runs where the thread was busy
 *   without a break for longer than that: what holds the event loop long enough
 *   to make a latency tail, as against what costs most in all;
 * - a `.heapprofile` (as written with SK_BENCH_ALLOC_DIR): the functions that
 *   allocated the most bytes, short-lived objects included.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    inclusive: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
    from: { type: 'string' },
    to: { type: 'string' },
    'busy-over': { type: 'string' },
  },
});
const inclusive = flags.inclusive;
const [file, topArg] = positionals;
if (!file) {
  console.error('usage: profile-summary.js <file.cpuprofile|file.heapprofile> [top=25] [--inclusive] [--from s] [--to s] [--timeline] [--busy-over ms]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
/** The stretch kept, in µs since the profile began. */
const fromUs = Number(flags.from ?? 0) * 1e6;
const toUs = flags.to === undefined ? Infinity : Number(flags.to) * 1e6;
/** With --busy-over: the shortest unbroken busy run whose samples are kept (µs). */
const busyOverUs = flags['busy-over'] === undefined ? undefined : Number(flags['busy-over']) * 1000;

function nameOf({ functionName, url, lineNumber }: CallFrame): string {
  const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

/** Adds up an amount per function name and prints the largest shares. */
function printTop(
  perFunction: Map<string, number>,
  unit: (amount: number) => string,
  heading: (total: number) => string,
  total = [...perFunction.values()].reduce((a, b) => a + b, 0),
): void {
  console.log(`${file}: ${heading(total)}`);
  for (const [name, amount] of [...perFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((amount / total) * 100).toFixed(1).padStart(5)}%  ${unit(amount).padStart(9)}  ${name}`);
  }
}

const parsed = JSON.parse(readFileSync(file, 'utf8')) as Profile | { head: HeapNode };
const perFunction = new Map<string, number>();
const add = (name: string, amount: number) => perFunction.set(name, (perFunction.get(name) ?? 0) + amount);

if ('head' in parsed) {
  const stack: HeapNode[] = [parsed.head];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.selfSize > 0) add(nameOf(node.callFrame), node.selfSize);
    stack.push(...node.children);
  }
  printTop(perFunction, (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`, (t) => `${(t / 2 ** 20).toFixed(0)} MiB allocated (sampled)`);
} else {
  const byId = new Map(parsed.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of parsed.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  /** The names a sample's time counts for: its own function, or with --inclusive every function on its stack, once. */
  const namesOf = (id: number): Set<string> => {
    const names = new Set([nameOf(byId.get(id)!.callFrame)]);
    if (inclusive) for (let up = parentOf.get(id); up !== undefined; up = parentOf.get(up)) names.add(nameOf(byId.get(up)!.callFrame));
    return names;
  };
  // Time per node from the samples and their deltas (hitCount alone ignores uneven sampling intervals).
  const samples = parsed.samples ?? [];
  const deltas = parsed.timeDeltas ?? [];
  const isBusy = (i: number) => nameOf(byId.get(samples[i]!)!.callFrame) !== '(idle)';
  /** Each sample's time since the profile began (µs). */
  const times: number[] = [];
  for (let i = 0, t = 0; i < samples.length; i++) times.push((t += deltas[i] ?? 0));
  const inStretch = (i: number) => times[i]! >= fromUs && times[i]! < toUs;
  const kept = busyOverUs === undefined ? undefined : longBusyRuns(samples.length, deltas, (i) => isBusy(i) && inStretch(i), busyOverUs);
  let sampled = 0;
  /** Per whole second since the start: [busy µs, sampled µs]. */
  const perSecond: [number, number][] = [];
  for (let i = 0; i < samples.length; i++) {
    const at = times[i]!;
    const us = deltas[i + 1] ?? deltas[i] ?? 0;
    const second = (perSecond[Math.floor(at / 1e6)] ??= [0, 0]);
    second[1] += us;
    if (isBusy(i)) second[0] += us;
    if (!inStretch(i) || (kept && !kept.samples[i])) continue;
    sampled += us;
    for (const name of namesOf(samples[i]!)) add(name, us);
  }
  if (kept) console.log(`${kept.runs} runs busy for over ${busyOverUs! / 1000} ms (longest ${(kept.longestUs / 1000).toFixed(1)} ms, ${(kept.totalUs / 1000).toFixed(0)} ms in all); the shares below are of their samples`);
  if (flags.timeline) {
    for (const [second, counted] of perSecond.entries()) {
      // A second with no sample at all (the profiler held up) is a hole in the array.
      const [busy, all] = counted ?? [0, 0];
      console.log(`${String(second).padStart(5)} s  ${(all > 0 ? ((busy / all) * 100).toFixed(0) : '-').padStart(3)}% busy`);
    }
  }
  // Inclusive shares overlap, so they are shares of the time sampled, not of their own sum.
  printTop(perFunction, (us) => `${(us / 1000).toFixed(0)} ms`, () => `${(sampled / 1e6).toFixed(1)} s sampled${inclusive ? ', inclusive' : ''}`, sampled);
}

/**
 * The samples that belong to a run of busy samples longer than `overUs` in
 * all: a sample's time is the delta to the next one, as above. `isBusy` says
 * which samples count (not idle, and in the stretch kept).
 */
function longBusyRuns(count: number, deltas: number[], isBusy: (i: number) => boolean, overUs: number): { samples: boolean[]; runs: number; longestUs: number; totalUs: number } {
  const samples = new Array<boolean>(count).fill(false);
  let runs = 0;
  let longestUs = 0;
  let totalUs = 0;
  let start = 0;
  let runUs = 0;
  const close = (end: number) => {
    if (runUs > overUs) {
      runs++;
      longestUs = Math.max(longestUs, runUs);
      totalUs += runUs;
      samples.fill(true, start, end);
    }
    runUs = 0;
  };
  for (let i = 0; i < count; i++) {
    if (!isBusy(i)) {
      close(i);
      start = i + 1;
      continue;
    }
    runUs += deltas[i + 1] ?? deltas[i] ?? 0;
  }
  close(count);
  return { samples, runs, longestUs, totalUs };
}
