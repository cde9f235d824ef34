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
 *   and arithmetic does not.
 * The server sharing the core only delays the probe, which its CPU time does
 * not count.
 *
 * argv: intervalMs.
 */
import { setPriority } from 'node:os';

const intervalMs = Number(process.argv[2] ?? 200);
/** About 0.9 ms of arithmetic here. */
const ROUNDS = 500_000;
/** Links in the walk: 16 Mi of 4 bytes, beyond any cache of the host. */
const LINKS = 16 * 1024 * 1024;
/** Steps per sample: about 0.4 ms here (a step is some 430 ns on this VM). */
const STEPS = 1_000;

/** xorshift32, ROUNDS times; its result is returned so the JIT cannot drop it. */
function arithmetic(seed: number): number {
  let x = seed | 1;
  for (let i = 0; i < ROUNDS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

/** One cycle through every link in random order (Sattolo's shuffle), so no step is predictable. */
function randomCycle(): Int32Array {
  const next = new Int32Array(LINKS);
  for (let i = 0; i < LINKS; i++) next[i] = i;
  let x = 2_463_534_242;
  for (let i = LINKS - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % i;
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  return next;
}

try {
  setPriority(19);
} catch {
  // Not allowed: the figures stay right, the server just shares its core more evenly.
}

const links = randomCycle();
let at = 0;
let sink = 0;
const cpuUs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};
const timer = setInterval(() => {
  let before = process.cpuUsage();
  sink ^= arithmetic(sink + 1);
  const us = cpuUs(before);
  before = process.cpuUsage();
  for (let i = 0; i < STEPS; i++) at = links[at]!;
  const memoryUs = cpuUs(before);
  process.send?.({ type: 'sample', at: Date.now(), us, memoryUs, sink: (sink ^ at) & 1 });
}, intervalMs);
process.on('disconnect', () => clearInterval(timer));
