/**
 * `node dist/bench/timeline-summary.js <dir>`: reads what SK_BENCH_TIMELINE=dir
 * recorded (bench/timeline.ts): the p99, the server's collections and
 * event-loop stalls in the window (how many, how long in all, the longest),
 * and the worst 100 ms of the window with what overlapped them. A stall is a
 * 2 ms timer firing late, so it includes any collection inside it. Then the
 * episodes: runs of messages over the p99 sent less than 30 ms apart, the
 * largest first, each with the server's spans that overlapped it (collections,
 * stalls, and the group commits, WAL copies and holds and folds the server
 * watched), so a tail can be told from a backlog and put down to its cause.
 * Last, each second of the window: its p50 and p99, how long each watched span
 * ran in it, and the disk's writes, MB written, queued I/O and dirty pages (bench/timeline.ts).
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
  /** Watched histograms (bench/timeline.ts); absent from files written before they were. */
  spans?: Record<string, { at: number[]; ms: number[] }>;
  /** The machine's disk every 250 ms (Linux; absent from files written before it was): writes and queued ms are counted since boot. */
  disk?: { at: number[]; dirtyKiB: number[]; writes: number[]; writtenSectors?: number[]; queuedMs: number[] };
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
  kind: string;
}
const spans: Span[] = [];
for (const s of servers) {
  s.gcAt.forEach((at, i) => spans.push({ from: at, to: at + s.gcMs[i]!, kind: s.gcKind[i] === MINOR ? 'scavenge' : 'full-gc' }));
  s.stallAt.forEach((at, i) => spans.push({ from: at, to: at + s.stallMs[i]!, kind: 'stall' }));
  for (const [kind, { at, ms }] of Object.entries(s.spans ?? {})) at.forEach((from, i) => spans.push({ from, to: from + ms[i]!, kind }));
}
spans.sort((a, b) => a.from - b.from);
const kinds = [...new Set(spans.map((s) => s.kind))];

const messages = loads.flatMap((l) => l.sentAt.map((sentAt, i) => ({ sentAt, ms: l.ms[i]! })));
messages.sort((a, b) => b.ms - a.ms);
// Nearest rank, as the bench's own p99 (bench/latency.ts); `messages` is slowest first.
const p99 = messages[messages.length - Math.ceil(0.99 * messages.length)]!.ms;

/** Per kind, how long the spans overlap [from, to] in ms, how many do, and the longest of them. */
function overlaps(from: number, to: number): Map<string, { ms: number; count: number; longest: number }> {
  const out = new Map<string, { ms: number; count: number; longest: number }>();
  for (const s of spans) {
    if (s.from > to) break;
    const o = Math.min(to, s.to) - Math.max(from, s.from);
    if (o <= 0) continue;
    const kind = out.get(s.kind) ?? { ms: 0, count: 0, longest: 0 };
    kind.ms += o;
    kind.count++;
    kind.longest = Math.max(kind.longest, s.to - s.from);
    out.set(s.kind, kind);
  }
  return out;
}

console.log(`${messages.length} messages; p99 ${p99.toFixed(1)} ms, max ${messages[0]!.ms.toFixed(1)} ms`);

const first = messages.reduce((a, m) => Math.min(a, m.sentAt), Infinity);
const last = messages.reduce((a, m) => Math.max(a, m.sentAt), -Infinity);
const inWindow = (s: Span) => s.from >= first && s.from <= last;
const describe = (kind: string) => {
  const d = spans.filter((s) => s.kind === kind && inWindow(s)).map((s) => s.to - s.from);
  d.sort((a, b) => b - a);
  return `${kind}: ${d.length}, ${d.reduce((a, b) => a + b, 0).toFixed(0)} ms in all, longest ${d.slice(0, 5).map((x) => x.toFixed(1)).join(', ')} ms`;
};
console.log(`in the window (${((last - first) / 1000).toFixed(1)} s):`);
for (const kind of kinds) console.log(`  ${describe(kind)}`);

// The worst 100 ms bins: how slow, and what the server did in them.
const BIN = 100;
const bins = new Map<number, number>();
for (const m of messages) {
  const b = Math.floor((m.sentAt - first) / BIN);
  bins.set(b, Math.max(bins.get(b) ?? 0, m.ms));
}
/** What overlapped a stretch: per kind, ms overlapped (spans, longest). */
const describeOverlaps = (o: ReturnType<typeof overlaps>) =>
  [...o].map(([kind, { ms, count, longest }]) => `${kind} ${ms.toFixed(1)} ms (${count}, longest ${longest.toFixed(1)})`).join('; ') || 'nothing';
console.log('worst 100 ms bins (by send time): offset s, slowest ms | what overlapped the bin and the 100 ms before it');
for (const [b, worst] of [...bins.entries()].sort((x, y) => y[1] - x[1]).slice(0, 10)) {
  const from = first + b * BIN;
  console.log(`  ${((b * BIN) / 1000).toFixed(1).padStart(6)} s  ${worst.toFixed(1).padStart(7)} ms | ${describeOverlaps(overlaps(from - BIN, from + BIN))}`);
}

// Episodes: the messages over the p99, grouped while they were sent less than 30 ms apart.
const GAP_MS = 30;
const slow = messages.filter((m) => m.ms > p99).sort((a, b) => a.sentAt - b.sentAt);
const episodes: { from: number; to: number; count: number; worst: number }[] = [];
for (const m of slow) {
  const open = episodes[episodes.length - 1];
  if (open && m.sentAt - open.to < GAP_MS) {
    open.to = m.sentAt;
    open.count++;
    open.worst = Math.max(open.worst, m.ms);
  } else episodes.push({ from: m.sentAt, to: m.sentAt, count: 1, worst: m.ms });
}
episodes.sort((a, b) => b.count - a.count);
console.log(`${slow.length} messages over the p99 in ${episodes.length} episodes; the largest (offset s, length, messages, slowest | what overlapped it and the 100 ms before it):`);
for (const e of episodes.slice(0, 12)) {
  const head = `${((e.from - first) / 1000).toFixed(2).padStart(6)} s  ${(e.to - e.from).toFixed(0).padStart(4)} ms  ${String(e.count).padStart(5)}  ${e.worst.toFixed(1).padStart(6)} ms`;
  console.log(`  ${head} | ${describeOverlaps(overlaps(e.from - BIN, e.to + e.worst))}`);
}

// Each second of the window: the messages sent in it, the server's spans, and the disk.
const disk = servers.find((s) => s.disk && s.disk.at.length > 1)?.disk;
const spanKinds = kinds.filter((k) => k !== 'scavenge' && k !== 'full-gc' && k !== 'stall');
console.log(
  `each second (by send time): p50 / p99 ms | ms of ${spanKinds.join(', ')} in it${disk ? ` | disk: writes,${disk.writtenSectors ? ' MB written,' : ''} ms of queued I/O, most dirty MB` : ''}`,
);
const seconds = new Map<number, number[]>();
for (const m of messages) {
  const s = Math.floor((m.sentAt - first) / 1000);
  (seconds.get(s) ?? seconds.set(s, []).get(s)!).push(m.ms);
}
for (const [s, latencies] of [...seconds].sort((a, b) => a[0] - b[0])) {
  latencies.sort((a, b) => a - b);
  const rank = (q: number) => latencies[Math.ceil(q * latencies.length) - 1]!.toFixed(0);
  const from = first + s * 1000;
  const o = overlaps(from, from + 1000);
  let line = `  ${String(s).padStart(4)} s  ${rank(0.5).padStart(4)} / ${rank(0.99).padStart(4)} | ${spanKinds.map((k) => (o.get(k)?.ms ?? 0).toFixed(0).padStart(5)).join(' ')}`;
  if (disk) {
    // The samples that bracket the second: the counters' difference is what happened in it.
    const i = disk.at.findIndex((at) => at >= from);
    const j = disk.at.findIndex((at) => at >= from + 1000);
    if (i > 0 && j > i) {
      const dirty = Math.max(...disk.dirtyKiB.slice(i - 1, j + 1)) / 1024;
      // Sectors are 512 bytes, whatever the disk's own block size.
      const written = disk.writtenSectors ? ` ${(((disk.writtenSectors[j]! - disk.writtenSectors[i - 1]!) * 512) / 2 ** 20).toFixed(1).padStart(6)}` : '';
      line += ` | ${String(disk.writes[j]! - disk.writes[i - 1]!).padStart(6)}${written} ${String(disk.queuedMs[j]! - disk.queuedMs[i - 1]!).padStart(6)} ${dirty.toFixed(1).padStart(6)}`;
    }
  }
  console.log(line);
}
