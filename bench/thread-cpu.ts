import { readdirSync, readFileSync } from 'node:fs';
import { round } from './protocol.js';

/** Per thread of a process, its time on a CPU so far (ns), and when it was read. */
export interface ThreadTimes {
  pid: number;
  atMs: number;
  onCpuNs: Map<number, number>;
}

/**
 * Every thread's time on a CPU (`/proc/<pid>/task/<tid>/schedstat`, first field,
 * in ns), read from outside the process; undefined where /proc is not there.
 */
export function threadTimes(pid: number | undefined): ThreadTimes | undefined {
  if (pid === undefined) return undefined;
  try {
    const onCpuNs = new Map<number, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        onCpuNs.set(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) || 0);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return { pid, atMs: performance.now(), onCpuNs };
  } catch {
    return undefined;
  }
}

/**
 * How the server's CPU in a window splits between its threads, % of one core:
 * the main thread (the event loop: MQTT, ingest, rules, the group commit's
 * SQLite calls), all the others (the WAL checkpointer's worker, libuv's pool
 * with the WAL's fdatasync, V8's compiler threads), and the busiest of those.
 * All the server's threads share its pinned core, so a thread that takes more
 * leaves the event loop less.
 */
export function threadCpuFields(a: ThreadTimes | undefined, b: ThreadTimes | undefined): Record<string, number> {
  if (!a || !b || a.pid !== b.pid) return {};
  const wallNs = (b.atMs - a.atMs) * 1e6;
  if (wallNs <= 0) return {};
  const pct = (ns: number) => round((ns / wallNs) * 100, 1);
  let main = 0;
  let others = 0;
  let busiest = 0;
  for (const [tid, ns] of b.onCpuNs) {
    const used = ns - (a.onCpuNs.get(tid) ?? 0);
    if (tid === b.pid) main = used;
    else {
      others += used;
      busiest = Math.max(busiest, used);
    }
  }
  return { serverMainThreadCpuPct: pct(main), serverOtherThreadsCpuPct: pct(others), serverBusiestOtherThreadCpuPct: pct(busiest) };
}
