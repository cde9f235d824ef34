/**
 * The core-speed probe's child (bench/core-speed.ts): pinned to one core at the
 * lowest priority, every `intervalMs` it times in CPU time two fixed pieces of
 * work and sends both figures to the bench over IPC:
 * - arithmetic that stays in registers (no memory, no allocation, so no
 *   collector): what changes its CPU time is the core itself running slower (a
 *   host that takes the core away unseen, as this VM reports no steal time; a
 *   slower clock; a busy hyperthread sibling on the host);
 * - a walk of random links through 64 MiB, each step a miss of every cache:
 *   what changes its time is the memory system, shared with the host's other
 *   tenants, which a server doing B-tree lookups and garbage collection feels
 *   and arithmetic does not;
 * - the same walk through 4 MiB, which a host's last-level cache can hold:
 *   what changes its time is other tenants taking that cache, which the 64 MiB
 *   walk (a miss anyway) cannot see. On this VM a step takes some 200 ns
 *   against 470 for the 64 MiB walk, so part of it misses even when idle.
 * The server sharing the core only delays the probe, which its CPU time does
 * not count.
 *
 * argv: intervalMs.
 */
import { setPriority } from 'node:os';

const intervalMs = Number(process.argv[2] ?? 200);
/** About 0.9 ms of arithmetic here. */
const ROUNDS = 500_000;
/** Links in the memory walk: 16 Mi of 4 bytes, beyond any cache of the host. */
const MEMORY_LINKS = 16 * 1024 * 1024;
/** Links in the cache walk: 1 Mi of 4 bytes, within the last-level cache. */
const CACHE_LINKS = 1024 * 1024;
/** Steps per sample of the memory walk: about 0.4 ms here (a step is some 430 ns on this VM). */
const STEPS = 1_000;
/** Steps per sample of the cache walk: about 0.4 ms here (some 200 ns a step on this VM: a share of it misses). */
const CACHE_STEPS = 2_000;

/** One step of xorshift32. */
const xorshift32 = (x: number): number => {
  x ^= x << 13;
  x ^= x >>> 17;
  return x ^ (x << 5);
};

/** xorshift32, ROUNDS times; its result is returned so the JIT cannot drop it. */
function arithmetic(seed: number): number {
  let x = seed | 1;
  for (let i = 0; i < ROUNDS; i++) x = xorshift32(x);
  return x;
}

/** One cycle through every link in random order (Sattolo's shuffle), so no step is predictable. */
function randomCycle(links: number): Int32Array {
  const next = new Int32Array(links);
  for (let i = 0; i < links; i++) next[i] = i;
  let x = 2_463_534_242;
  for (let i = links - 1; i > 0; i--) {
    x = xorshift32(x);
    const j = (x >>> 0) % i;
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  return next;
}

/** A walk of `steps` links from `from`; where it ends, so the next walk goes on from there. */
function walk(links: Int32Array, from: number, steps: number): number {
  let at = from;
  for (let i = 0; i < steps; i++) at = links[at]!;
  return at;
}

/** The CPU `work` takes, in µs, and what it returns. */
function timed<T>(work: () => T): [number, T] {
  const before = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(before);
  return [used.user + used.system, result];
}

try {
  setPriority(19);
} catch {
  // Not allowed: the figures stay right, the server just shares its core more evenly.
}

const memory = randomCycle(MEMORY_LINKS);
const cache = randomCycle(CACHE_LINKS);
let at = 0;
// The cache walk's links are loaded once, as the server's working set is.
let cacheAt = walk(cache, 0, CACHE_LINKS);
let sink = 0;
const timer = setInterval(() => {
  let us: number;
  let memoryUs: number;
  let cacheUs: number;
  [us, sink] = timed(() => sink ^ arithmetic(sink + 1));
  [memoryUs, at] = timed(() => walk(memory, at, STEPS));
  [cacheUs, cacheAt] = timed(() => walk(cache, cacheAt, CACHE_STEPS));
  process.send?.({ type: 'sample', at: Date.now(), us, memoryUs, cacheUs, sink: (sink ^ at ^ cacheAt) & 1 });
}, intervalMs);
process.on('disconnect', () => clearInterval(timer));
