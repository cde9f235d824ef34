/**
 * `node dist/bench/timeline-summary.js <dir>`: reads what SK_BENCH_TIMELINE=dir
 * recorded (bench/timeline.ts): the p99, the server's collections and
 * event-loop stalls in the window (how many, how long in all, the longest),
 * and the worst 100 ms of the window with what overlapped them. A stall is a
 * 2 ms timer firing late, so it includes any collection inside it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LoadTimeline {
  sentAt: number[];
  ms: number[];
}
interface ServerTimeline {
  gcAt: number[];
  gcMs: number[];
  gcKind: number[];
  stallAt: number[];
  stallMs: number[];
}
/** perf_hooks' gc kinds (NODE_PERFORMANCE_GC_*). */
const MINOR = 1;

const dir = process.argv[2];
if (!dir) {
  console.error('usage: timeline-summary.js <dir written with SK_BENCH_TIMELINE>');
  process.exit(2);
}
const files = readdirSync(dir);
const read = <T>(name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
const loads = files.filter((f) => f.startsWith('load-')).map((f) => read<LoadTimeline>(f));
const servers = files.filter((f) => f.endsWith('-server.json')).map((f) => read<ServerTimeline>(f));
if (loads.length === 0 || servers.length === 0) {
  console.error(`${dir}: needs a load-*.json and a *-server.json`);
  process.exit(2);
}

interface Span {
  from: number;
  to: number;
  kind: 'scavenge' | 'full-gc' | 'stall';
}
const spans: Span[] = [];
for (const s of servers) {
  s.gcAt.forEach((at, i) => spans.push({ from: at, to: at + s.gcMs[i]!, kind: s.gcKind[i] === MINOR ? 'scavenge' : 'full-gc' }));
  s.stallAt.forEach((at, i) => spans.push({ from: at, to: at + s.stallMs[i]!, kind: 'stall' }));
}
spans.sort((a, b) => a.from - b.from);

const messages = loads.flatMap((l) => l.sentAt.map((sentAt, i) => ({ sentAt, ms: l.ms[i]! })));
messages.sort((a, b) => b.ms - a.ms);
// Nearest rank, as the bench's own p99 (bench/latency.ts); `messages` is slowest first.
const p99 = messages[messages.length - Math.ceil(0.99 * messages.length)]!.ms;

/** How long, per kind, the spans overlap [from, to], in ms. */
function overlaps(from: number, to: number): Record<Span['kind'], number> {
  const out = { scavenge: 0, 'full-gc': 0, stall: 0 };
  for (const s of spans) {
    if (s.from > to) break;
    const o = Math.min(to, s.to) - Math.max(from, s.from);
    if (o > 0) out[s.kind] += o;
  }
  return out;
}

console.log(`${messages.length} messages; p99 ${p99.toFixed(1)} ms, max ${messages[0]!.ms.toFixed(1)} ms`);

const first = messages.reduce((a, m) => Math.min(a, m.sentAt), Infinity);
const last = messages.reduce((a, m) => Math.max(a, m.sentAt), -Infinity);
const inWindow = (s: Span) => s.from >= first && s.from <= last;
const describe = (kind: Span['kind']) => {
  const d = spans.filter((s) => s.kind === kind && inWindow(s)).map((s) => s.to - s.from);
  d.sort((a, b) => b - a);
  return `${kind}: ${d.length}, ${d.reduce((a, b) => a + b, 0).toFixed(0)} ms in all, longest ${d.slice(0, 5).map((x) => x.toFixed(1)).join(', ')} ms`;
};
console.log(`in the window (${((last - first) / 1000).toFixed(1)} s): ${describe('scavenge')}; ${describe('full-gc')}; ${describe('stall')}`);

// The worst 100 ms bins: how slow, and what the server did in them.
const BIN = 100;
const bins = new Map<number, number>();
for (const m of messages) {
  const b = Math.floor((m.sentAt - first) / BIN);
  bins.set(b, Math.max(bins.get(b) ?? 0, m.ms));
}
console.log('worst 100 ms bins (by send time): offset s, slowest ms | scavenge, full GC, stall ms overlapping the bin and the 100 ms before it');
for (const [b, worst] of [...bins.entries()].sort((x, y) => y[1] - x[1]).slice(0, 10)) {
  const from = first + b * BIN;
  const o = overlaps(from - BIN, from + BIN);
  console.log(`  ${((b * BIN) / 1000).toFixed(1).padStart(6)} s  ${worst.toFixed(1).padStart(7)} ms | ${o.scavenge.toFixed(1)}, ${o['full-gc'].toFixed(1)}, ${o.stall.toFixed(1)}`);
}
