import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../app/node-flags.js';
import { NodeChild } from './children.js';
import { benchDeviceId } from './fleet.js';
import { probeDisk } from './disk-probe.js';
import { runningCoreSpeed } from './core-speed.js';
import { threadCpuFields, threadTimes, type ThreadTimes } from './thread-cpu.js';
import { startMosquitto, type RunningMosquitto } from './mosquitto.js';
import {
  checkpointFields,
  cpuPercent,
  runQueueWaitPercent,
  machineCpu,
  eventLoopUtilization,
  round,
  type DeviceCredentials,
  type LoadMessage,
  type LoadPlan,
  type LoadRequest,
  type LoadResult,
  type ServerMessage,
  type ServerRequest,
  type ServerSnapshot,
  type ServerSpec,
  type SubscriberMessage,
  type SubscriberRequest,
} from './protocol.js';

export const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** Where processes run: the system under test on one core, the load generator on the other. */
export interface Placement {
  serverCore: number | undefined;
  loadCore: number | undefined;
}

export interface LoadSpec {
  devices: number;
  mode: LoadPlan['mode'];
  window: number;
  ratePerSec?: number;
  warmupS: number;
  seconds: number;
  drainTimeoutS: number;
}

/** One scenario's figures, ready to print as a JSON line. */
export type Line = Record<string, string | number | boolean | null>;

export type LoadChild = NodeChild<LoadRequest, LoadMessage>;

/** Generous: 1,000 devices provision and connect in a few seconds here, but CI machines are slow. */
export const SETUP_TIMEOUT_MS = 300_000;

export function startLoad(placement: Placement): LoadChild {
  return new NodeChild<LoadRequest, LoadMessage>('load', script('load-process.js'), [], placement.loadCore, [], true);
}

/**
 * Drives one load run: calls `atWindow` as the measured window opens and closes
 * (so the other side can be sampled at the same moments) and returns the result.
 */
async function drive(load: LoadChild, plan: LoadPlan, atWindow: (edge: 'start' | 'end') => Promise<void>): Promise<{ result: LoadResult; connectMs: number }> {
  load.send({ type: 'run', plan });
  const { ms } = await load.next('connected', SETUP_TIMEOUT_MS);
  await load.next('window:start', (plan.warmupS + 30) * 1000);
  runningCoreSpeed()?.mark('start');
  await atWindow('start');
  await load.next('window:end', (plan.seconds + 30) * 1000);
  runningCoreSpeed()?.mark('end');
  await atWindow('end');
  const { result } = await load.next('result', (plan.drainTimeoutS + 30) * 1000);
  return { result, connectMs: ms };
}

/** The first process at ≥ 95 % event-loop (or CPU) use sets the pace; paced runs are set by the offered rate. */
const SATURATED = 0.95;
function limitedBy(spec: LoadSpec, candidates: [name: string, utilization: number | null][]): string {
  if (spec.mode === 'paced') return 'offered-rate';
  const hit = candidates.filter(([, u]) => u !== null && u >= SATURATED).map(([name]) => name);
  // Nothing saturated: the per-client window over the round-trip time is the limit.
  return hit.length ? hit.join('+') : 'window-latency';
}

function planOf(spec: LoadSpec, url: string, devices: DeviceCredentials[], boot: string): LoadPlan {
  const { devices: _count, ...rest } = spec;
  return { ...rest, url, devices, boot, connectConcurrency: 50 };
}

/** The load generator's stalls in the window: they delay the PUBACKs it times, whoever the broker is. */
function loadPauseFields({ pauses }: LoadResult): Line {
  return { loadLoopDelayP99Ms: round(pauses.loopDelayP99Ms, 1), loadGcMaxPauseMs: round(pauses.gcMaxPauseMs, 1), loadGcPauseTotalMs: round(pauses.gcPauseTotalMs, 1) };
}

function latencyFields(r: LoadResult): Line {
  const { p50Ms, p95Ms, p99Ms, maxMs, meanMs } = r.latency;
  return { p50Ms, p95Ms, p99Ms, maxMs, meanMs };
}

export type ServerChild = NodeChild<ServerRequest, ServerMessage>;
export type Ready = ServerMessage & { type: 'ready' };
export type Snapshot = ServerSnapshot;

/**
 * The server's V8 flags: those `npm start` uses, or SK_BENCH_SERVER_NODE_FLAGS
 * (space-separated; empty for Node's defaults) to compare others in the same harness.
 */
export function serverNodeFlags(): string[] {
  const override = process.env.SK_BENCH_SERVER_NODE_FLAGS;
  return override === undefined ? [...SERVER_NODE_FLAGS] : override.split(/\s+/).filter(Boolean);
}

/** Starts the real server in its own process (with the fleet provisioned) and waits until it is ready. */
export async function startServerChild(name: string, spec: ServerSpec, placement: Placement, profileDir?: string): Promise<{ server: ServerChild; ready: Ready }> {
  mkdirSync(spec.dataDir, { recursive: true });
  // A V8 CPU profile of the server, written when it exits after a graceful close.
  const nodeArgs = ['--expose-gc', ...serverNodeFlags(), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=server-${name}.cpuprofile`] : [])];
  const server = new NodeChild<ServerRequest, ServerMessage>('server', script('server-process.js'), [JSON.stringify(spec)], placement.serverCore, nodeArgs, true);
  try {
    return { server, ready: await server.next('ready', SETUP_TIMEOUT_MS) };
  } catch (error) {
    server.kill();
    throw error;
  }
}

export async function snapshotOf(server: ServerChild, count = false, gc = false): Promise<Snapshot> {
  server.send({ type: 'snapshot', count, gc });
  return (await server.next('snapshot', 60_000)).snapshot;
}

export const MIB = 1024 * 1024;

/**
 * The whole machine's CPU in use over the window, % of all cores. Above what the
 * server and load generator use (their CPU% / cores), other processes were
 * running: on a shared machine, the first thing to check before reading a tail.
 */
function machineBusy(a: ReturnType<typeof machineCpu>, b: ReturnType<typeof machineCpu>): number | null {
  if (!a || !b || b.total <= a.total) return null;
  return round(((b.busy - a.busy) / (b.total - a.total)) * 100, 1);
}

/**
 * One load run against a running server: the window's figures, and `stored`/`lost`
 * counted in SQLite afterwards. `atWindow` lets other processes (dashboards) be
 * sampled at the same edges.
 */
export async function runLoad(
  name: string,
  server: ServerChild,
  load: LoadChild,
  spec: LoadSpec,
  ready: Ready,
  extra: Partial<LoadPlan> = {},
): Promise<{ fields: Line; failures: string[]; result: LoadResult; snapshots: [Snapshot, Snapshot] }> {
  const snapshots: Partial<Record<'start' | 'end', Snapshot>> = {};
  const machine: Partial<Record<'start' | 'end', ReturnType<typeof machineCpu>>> = {};
  const threads: Partial<Record<'start' | 'end', ThreadTimes>> = {};
  const { result, connectMs } = await drive(load, { ...planOf(spec, ready.mqttUrl, ready.devices, `bench-${name}-${Date.now().toString(36)}`), ...extra }, async (edge) => {
    machine[edge] = machineCpu();
    threads[edge] = threadTimes(server.process.pid);
    snapshots[edge] = await snapshotOf(server);
  });
  // Every PUBACK promised a durable reading: count what SQLite holds (all runs of this server so far).
  const final = await snapshotOf(server, true);
  const stored = final.stored ?? 0;
  const [s0, s1] = [snapshots.start!, snapshots.end!];
  const commits = s1.commits - s0.commits;
  const windowS = result.windowMs / 1000;
  const failures: string[] = [];
  if (result.publishErrors > 0) failures.push(`${name}: ${result.publishErrors} publishes failed`);
  if (result.disconnects > 0) failures.push(`${name}: ${result.disconnects} clients disconnected during the run`);
  const fields: Line = {
    mode: spec.mode,
    devices: spec.devices,
    seconds: spec.seconds,
    window: spec.window,
    ...(spec.ratePerSec === undefined ? {} : { offeredPerSec: spec.ratePerSec }),
    readingsPerSec: round(result.windowAcked / windowS, 1),
    ...latencyFields(result),
    sent: result.sent,
    acked: result.acked,
    stored,
    inFlightAtEnd: result.inFlightAtEnd,
    ...(spec.mode === 'paced' ? { deferred: result.deferred, unsent: result.unsent } : {}),
    commitsPerSec: round(commits / windowS, 1),
    avgBatch: commits > 0 ? round((s1.committedMessages - s0.committedMessages) / commits, 1) : 0,
    avgCommitMs: commits > 0 ? round(((s1.commitSeconds - s0.commitSeconds) / commits) * 1000, 3) : 0,
    commits,
    commitsOver20Ms: s1.commitsOver20Ms - s0.commitsOver20Ms,
    ...checkpointFields(s0, s1),
    // 4 KiB pages the WAL took per reading acknowledged in the window: what a reading costs the disk before any checkpoint.
    walFramesPerReading: result.windowAcked > 0 ? round((s1.walFramesWritten - s0.walFramesWritten) / result.windowAcked, 2) : 0,
    serverCpuPct: cpuPercent(s0, s1),
    ...threadCpuFields(threads.start, threads.end),
    serverRunQueueWaitPct: runQueueWaitPercent(s0, s1),
    serverEventLoop: eventLoopUtilization(s0, s1),
    serverRssMiB: round(s1.rssBytes / MIB, 1),
    serverLoopDelayP99Ms: round(s1.loopDelayP99Ms, 1),
    serverLoopDelayMaxMs: round(s1.loopDelayMaxMs, 1),
    serverGcMaxPauseMs: round(s1.gcMaxPauseMs, 1),
    serverGcPauseTotalMs: round(s1.gcPauseTotalMs, 1),
    machineBusyPct: machineBusy(machine.start, machine.end),
    ...runningCoreSpeed()?.windowFields(),
    loadCpuPct: cpuPercent(result.start, result.end),
    loadEventLoop: eventLoopUtilization(result.start, result.end),
    ...loadPauseFields(result),
    limitedBy: limitedBy(spec, [
      ['server', eventLoopUtilization(s0, s1)],
      ['load-generator', eventLoopUtilization(result.start, result.end)],
    ]),
    connectMs,
  };
  return { fields, failures, result, snapshots: [s0, s1] };
}

/**
 * Checks every acknowledged reading is in SQLite, closes load and server, and
 * returns the scenario's line and failures.
 */
export async function finish(
  name: string,
  server: ServerChild,
  load: LoadChild | undefined,
  run: Awaited<ReturnType<typeof runLoad>>,
  ready: Ready,
  synchronous: ServerSpec['synchronous'],
  /** Over every run against this server, when there were several. */
  totals: { acked: number; sent: number } = run.result,
): Promise<{ line: Line; failures: string[] }> {
  const stored = Number(run.fields.stored);
  const lost = Math.max(0, totals.acked - stored);
  const failures = [...run.failures];
  if (lost > 0) failures.push(`${name}: ${lost} acknowledged readings missing from SQLite`);
  if (stored > totals.sent) failures.push(`${name}: ${stored} stored but only ${totals.sent} sent`);
  await load?.close({ type: 'close' }, 10_000);
  await server.close({ type: 'close' }, 30_000);
  if (server.failed) failures.push(server.failed.message);
  const line: Line = { bench: name, target: 'sunshine-kitchen', ...run.fields, lost, synchronous, provisionMs: ready.provisionMs, ...(ready.storedBefore > 0 ? { storedBefore: ready.storedBefore, storedBeforeMs: ready.storedBeforeMs } : {}), serverStartMs: ready.startMs };
  return { line, failures };
}

/** sunshine-kitchen: the real server in its own process, the load generator in another. */
export async function benchSunshineKitchen(
  name: string,
  spec: LoadSpec,
  synchronous: ServerSpec['synchronous'],
  dataDir: string,
  placement: Placement,
  profileDir?: string,
): Promise<{ line: Line; failures: string[] }> {
  const { server, ready } = await startServerChild(name, { dataDir, devices: spec.devices, synchronous }, placement, profileDir);
  let load: LoadChild | undefined;
  try {
    load = startLoad(placement);
    return await finish(name, server, load, await runLoad(name, server, load, spec, ready), ready, synchronous);
  } finally {
    load?.kill();
    server.kill();
  }
}

/**
 * The baseline: the same load generator against Mosquitto (in memory, nothing
 * persisted) with one QoS 1 subscriber, on the same cores. Its figure is what
 * Mosquitto passes through to a consumer.
 */
export async function benchMosquitto(name: string, spec: LoadSpec, dir: string, placement: Placement, version: string): Promise<{ line: Line; failures: string[] }> {
  mkdirSync(dir, { recursive: true });
  // The host's disk as this run finds it, beside Mosquitto's CPU: both witness the machine, not our code.
  const disk = probeDisk(dir);
  let broker: RunningMosquitto | undefined;
  let subscriber: NodeChild<SubscriberRequest, SubscriberMessage> | undefined;
  let load: LoadChild | undefined;
  try {
    broker = await startMosquitto(dir, placement.serverCore);
    subscriber = new NodeChild<SubscriberRequest, SubscriberMessage>('subscriber', script('subscriber-process.js'), [broker.url], placement.serverCore);
    await subscriber.next('ready', 30_000);
    load = startLoad(placement);
    // Mosquitto knows no devices: any id and secret will do, shaped like ours.
    const devices = Array.from({ length: spec.devices }, (_, i) => ({ id: benchDeviceId(i), secret: 'not-checked-by-mosquitto' }));
    const counts: Partial<Record<'start' | 'end', SubscriberMessage & { type: 'count' }>> = {};
    const cpu: Partial<Record<'start' | 'end', number | undefined>> = {};
    const b = broker;
    const sub = subscriber;
    const { result } = await drive(load, planOf(spec, b.url, devices, 'bench'), async (edge) => {
      cpu[edge] = b.cpuSeconds();
      sub.send({ type: 'count' });
      counts[edge] = await sub.next('count', 30_000);
    });
    // Let the subscriber catch up with what Mosquitto already acknowledged.
    let delivered = 0;
    let last = -1;
    let stableSince = Date.now();
    const deadline = Date.now() + 30_000;
    for (;;) {
      sub.send({ type: 'count' });
      delivered = (await sub.next('count', 30_000)).received;
      if (delivered >= result.acked || Date.now() > deadline) break;
      if (delivered !== last) [last, stableSince] = [delivered, Date.now()];
      else if (Date.now() - stableSince > 2_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const c0 = counts.start!;
    const c1 = counts.end!;
    const windowS = (c1.sample.atMs - c0.sample.atMs) / 1000;
    const brokerCpu = cpu.start !== undefined && cpu.end !== undefined ? round(((cpu.end - cpu.start) / windowS) * 100, 1) : null;

    const failures: string[] = [];
    if (result.disconnects > 0) failures.push(`${name}: ${result.disconnects} clients disconnected from mosquitto`);
    await load.close({ type: 'close' }, 10_000);
    await subscriber.close({ type: 'close' }, 5_000);
    await broker.stop();

    const line: Line = {
      bench: name,
      target: 'mosquitto',
      version,
      mode: spec.mode,
      devices: spec.devices,
      seconds: spec.seconds,
      window: spec.window,
      ...(spec.ratePerSec === undefined ? {} : { offeredPerSec: spec.ratePerSec }),
      readingsPerSec: round((c1.received - c0.received) / windowS, 1),
      ackedPerSec: round(result.windowAcked / (result.windowMs / 1000), 1),
      ...latencyFields(result),
      sent: result.sent,
      acked: result.acked,
      delivered,
      // Acknowledged by Mosquitto but never delivered: its queue for the subscriber overflowed.
      dropped: Math.max(0, result.acked - delivered),
      persistence: false,
      brokerCpuPct: brokerCpu,
      ...runningCoreSpeed()?.windowFields(),
      diskSyncs: disk.count,
      diskSyncP50Ms: disk.p50Ms,
      diskSyncP99Ms: disk.p99Ms,
      diskSyncMaxMs: disk.maxMs,
      subscriberCpuPct: cpuPercent(c0.sample, c1.sample),
      loadCpuPct: cpuPercent(result.start, result.end),
      loadEventLoop: eventLoopUtilization(result.start, result.end),
      ...loadPauseFields(result),
      limitedBy: limitedBy(spec, [
        ['broker', brokerCpu === null ? null : brokerCpu / 100],
        ['subscriber', cpuPercent(c0.sample, c1.sample) / 100],
        ['server-core', brokerCpu === null ? null : (brokerCpu + cpuPercent(c0.sample, c1.sample)) / 100],
        ['load-generator', eventLoopUtilization(result.start, result.end)],
      ]),
    };
    return { line, failures };
  } finally {
    load?.kill();
    subscriber?.kill();
    await broker?.stop();
  }
}
