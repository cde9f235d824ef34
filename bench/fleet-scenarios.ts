import { childNofile } from './children.js';
import { round } from './protocol.js';
import { finish, MIB, runLoad, snapshotOf, startLoad, startServerChild, type Line, type LoadChild, type LoadSpec, type Placement } from './scenarios.js';

/** File descriptors the server needs besides its MQTT sockets: SQLite (db, WAL, shm), listeners, stdio, IPC, epoll. */
const SPARE_FDS = 200;

/**
 * Devices one process can hold connected under the open-files limit children get.
 * Where that limit cannot be raised (a container without CAP_SYS_RESOURCE with a hard
 * limit of 20,000), the run is capped just under it and says so.
 */
export function connectable(devices: number): { devices: number; note: string | null } {
  const max = childNofile() - SPARE_FDS;
  if (devices <= max) return { devices, note: null };
  return { devices: max, note: `capped at ${max} of ${devices} devices: the open-files hard limit is ${childNofile()} and cannot be raised here (prlimit needs CAP_SYS_RESOURCE)` };
}

/**
 * `idle`: N devices connected with keepalive 60 s and sending nothing. The
 * server's resident memory before anyone connects (fleet provisioned, rules
 * built) and with all N connected gives the cost of one connection.
 */
export async function benchIdle(wanted: number, seconds: number, dataDir: string, placement: Placement): Promise<{ line: Line; failures: string[] }> {
  const { devices, note } = connectable(wanted);
  const { server, ready } = await startServerChild('idle', { dataDir, devices, synchronous: 'full' }, placement);
  let load: LoadChild | undefined;
  try {
    const before = await snapshotOf(server, false, true);
    load = startLoad(placement);
    const spec: LoadSpec = { devices, mode: 'idle', window: 1, warmupS: 2, seconds, drainTimeoutS: 5 };
    const run = await runLoad('idle', server, load, spec, ready);
    const s1 = await snapshotOf(server, false, true);
    const done = await finish('idle', server, load, run, ready, 'full');
    if (s1.connected < devices) done.failures.push(`idle: only ${s1.connected} of ${devices} devices connected`);
    const line: Line = {
      ...done.line,
      keepaliveS: 60,
      connected: s1.connected,
      rssBeforeMiB: round(before.rssBytes / MIB, 1),
      rssConnectedMiB: round(s1.rssBytes / MIB, 1),
      heapBeforeMiB: round(before.heapUsedBytes / MIB, 1),
      heapConnectedMiB: round(s1.heapUsedBytes / MIB, 1),
      heapResidentBeforeMiB: round(before.heapResidentBytes / MIB, 1),
      heapResidentConnectedMiB: round(s1.heapResidentBytes / MIB, 1),
      youngResidentConnectedMiB: round(s1.youngResidentBytes / MIB, 1),
      externalConnectedMiB: round(s1.externalBytes / MIB, 1),
      kibPerConnection: s1.connected > 0 ? round((s1.rssBytes - before.rssBytes) / 1024 / s1.connected, 1) : null,
      note,
    };
    return { line, failures: done.failures };
  } finally {
    load?.kill();
    server.kill();
  }
}

/**
 * One point of the growth curve: N devices connected; first a paced load of
 * `rate` readings/s spread over all of them (latency), then every device
 * publishing as fast as PUBACKs allow with about 1,600 messages in flight in all
 * (throughput); resident memory idle and under load.
 */
export async function benchCurvePoint(
  wanted: number,
  rate: number,
  seconds: number,
  warmupS: number,
  dataDir: string,
  placement: Placement,
  profileDir?: string,
): Promise<{ line: Line; failures: string[] }> {
  const { devices, note } = connectable(wanted);
  const name = `curve-${devices}`;
  const { server, ready } = await startServerChild(name, { dataDir, devices, synchronous: 'full' }, placement, profileDir);
  let load: LoadChild | undefined;
  try {
    const before = await snapshotOf(server, false, true);
    load = startLoad(placement);
    const drainTimeoutS = 30;
    const paced = await runLoad(`${name}-paced`, server, load, { devices, mode: 'paced', window: 8, ratePerSec: rate, warmupS, seconds, drainTimeoutS }, ready);
    const window = Math.max(1, Math.round(1_600 / devices));
    const saturated = await runLoad(`${name}-saturate`, server, load, { devices, mode: 'saturate', window, warmupS, seconds, drainTimeoutS }, ready);
    const acked = paced.result.acked + saturated.result.acked;
    const done = await finish(name, server, load, saturated, ready, 'full', { acked, sent: paced.result.sent + saturated.result.sent });
    const line: Line = {
      bench: 'curve',
      target: 'sunshine-kitchen',
      devices,
      seconds,
      offeredPerSec: rate,
      pacedReadingsPerSec: paced.fields.readingsPerSec as number,
      pacedP50Ms: paced.fields.p50Ms as number,
      pacedP99Ms: paced.fields.p99Ms as number,
      pacedServerCpuPct: paced.fields.serverCpuPct as number,
      saturateWindow: window,
      readingsPerSec: saturated.fields.readingsPerSec as number,
      saturateP99Ms: saturated.fields.p99Ms as number,
      saturateServerCpuPct: saturated.fields.serverCpuPct as number,
      limitedBy: saturated.fields.limitedBy as string,
      rssBeforeMiB: round(before.rssBytes / MIB, 1),
      rssConnectedMiB: round(paced.snapshots[0].rssBytes / MIB, 1),
      rssPacedMiB: round(paced.snapshots[1].rssBytes / MIB, 1),
      rssSaturatedMiB: round(saturated.snapshots[1].rssBytes / MIB, 1),
      acked,
      stored: saturated.fields.stored as number,
      lost: done.line.lost as number,
      connectMs: paced.fields.connectMs as number,
      provisionMs: ready.provisionMs,
      serverStartMs: ready.startMs,
      note,
    };
    return { line, failures: [...paced.failures, ...done.failures] };
  } finally {
    load?.kill();
    server.kill();
  }
}
