/**
 * `node dist/bench/profile-summary.js <file> [top]`: where a run's time or
 * memory went, readable in a terminal.
 * - a `.cpuprofile` (as written by `--profile`): the functions with the most
 *   self time, with their share of the samples;
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

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.js <file.cpuprofile|file.heapprofile> [top=25]');
  process.exit(2);
}
const top = Number(topArg ?? 25);

function nameOf({ functionName, url, lineNumber }: CallFrame): string {
  const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

/** Adds up an amount per function name and prints the largest shares. */
function printTop(perFunction: Map<string, number>, unit: (amount: number) => string, heading: (total: number) => string): void {
  const total = [...perFunction.values()].reduce((a, b) => a + b, 0);
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
  // Time per node from the samples and their deltas (hitCount alone ignores uneven sampling intervals).
  const samples = parsed.samples ?? [];
  const deltas = parsed.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) add(nameOf(byId.get(samples[i]!)!.callFrame), deltas[i + 1] ?? deltas[i] ?? 0);
  printTop(perFunction, (us) => `${(us / 1000).toFixed(0)} ms`, (t) => `${(t / 1e6).toFixed(1)} s sampled`);
}
