/**
 * `node dist/bench/profile-summary.js <file> [top] [--inclusive]`: where a
 * run's time or memory went, readable in a terminal.
 * - a `.cpuprofile` (as written by `--profile`): the functions with the most
 *   self time, with their share of the samples; with `--inclusive`, the time
 *   spent in each function and everything it called (a function counted once per
 *   sample however often it is on the stack), to see what a stage costs whole;
 * - a `.heapprofile` (as written with SK_BENCH_ALLOC_DIR): the functions that
 *   allocated the most bytes, short-lived objects included.
 */
import { readFileSync } from 'node:fs';

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

const args = process.argv.slice(2);
const inclusive = args.includes('--inclusive');
const [file, topArg] = args.filter((a) => a !== '--inclusive');
if (!file) {
  console.error('usage: profile-summary.js <file.cpuprofile|file.heapprofile> [top=25] [--inclusive]');
  process.exit(2);
}
const top = Number(topArg ?? 25);

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
  let sampled = 0;
  for (let i = 0; i < samples.length; i++) {
    const us = deltas[i + 1] ?? deltas[i] ?? 0;
    sampled += us;
    for (const name of namesOf(samples[i]!)) add(name, us);
  }
  // Inclusive shares overlap, so they are shares of the time sampled, not of their own sum.
  printTop(perFunction, (us) => `${(us / 1000).toFixed(0)} ms`, () => `${(sampled / 1e6).toFixed(1)} s sampled${inclusive ? ', inclusive' : ''}`, sampled);
}
