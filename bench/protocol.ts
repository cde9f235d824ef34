import { readFileSync } from 'node:fs';
import type { Pauses } from './pause-monitor.js';

/**
 * The IPC messages between the bench orchestrator (`run.ts`) and its child
 * processes. Every child speaks over Node's IPC channel (`process.send`), so the
 * processes can be pinned to different cores and never share an event loop.
 */

export interface DeviceCredentials {
  id: string;
  secret: string;
}

/** A dashboard user; the dashboard process logs in with these over the real REST API. */
export interface UserCredentials {
  id: string;
  password: string;
}

/** CPU and event-loop counters of one process at one instant; diff two to get a window. */
export interface ProcessSample {
  /** `performance.now()` in the sampling process. */
  atMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Cumulative event-loop idle and active time, from `performance.eventLoopUtilization()`. */
  eluIdleMs: number;
  eluActiveMs: number;
  /** Cumulative time the main thread was runnable but waiting for a core (Linux schedstat), ns; 0 where unknown. */
  runQueueWaitNs: number;
}

// ---- server-process.ts -----------------------------------------------------

/** argv[2] of server-process.js, as JSON. */
export interface ServerSpec {
  dataDir: string;
  devices: number;
  synchronous: 'full' | 'normal';
  /** Sites alarm on the first reading above 8 °C (see fleet.ts). */
  immediateAlarms?: boolean;
  /** Supervisors of the bench city to create for dashboard clients. */
  supervisors?: number;
  /**
   * Readings of the past written into the file before the server starts, spread
   * over the fleet (bench/past-readings.ts), so the server runs on a grown file
   * rather than an empty one. Snapshots count only what was stored after them.
   */
  storedBefore?: number;
}

/** Event-loop delay and GC pauses are those since the previous snapshot. */
export interface ServerSnapshot extends ProcessSample, Pauses {
  /** Readings in SQLite; only when asked for (a `count(*)` is not free under load). */
  stored?: number;
  /** Group commits so far, messages they carried and time they took. */
  commits: number;
  committedMessages: number;
  commitSeconds: number;
  /** Group commits that took more than 20 ms from their start until durable (`sk_store_write_seconds`): each held its PUBACKs past the latency target. */
  commitsOver20Ms: number;
  /** The WAL checkpointer's copies into the database file, and the time they took (`sk_sqlite_checkpoint_seconds`). */
  checkpointCopies: number;
  checkpointSeconds: number;
  /** Holds of the durable commits while the WAL started over, those that gave up at their limit, and the time held (`sk_sqlite_wal_hold_seconds`). */
  walHolds: number;
  walHoldsGaveUp: number;
  walHeldSeconds: number;
  /** Fallback restarts under SQLite's write lock, and their time (`sk_sqlite_wal_forced_restart_seconds`). */
  forcedRestarts: number;
  forcedRestartSeconds: number;
  /** Pages written to the WAL (`sk_sqlite_wal_frames_written_total`). */
  walFramesWritten: number;
  /** Resident set size and V8 heap in use, bytes. */
  rssBytes: number;
  heapUsedBytes: number;
  /**
   * Where the resident size goes: V8's heap pages in memory (all spaces), of
   * which its young generation (semi-spaces and new large objects, kept at their
   * largest once grown), and memory outside the heap that JS objects hold
   * (Buffers, ArrayBuffers).
   */
  heapResidentBytes: number;
  youngResidentBytes: number;
  externalBytes: number;
  /** MQTT clients connected (sk_devices_connected). */
  connected: number;
}

/** `gc`: collect garbage first (the server runs with --expose-gc), so memory figures are steady state, not start-up litter. */
export type ServerRequest = { type: 'snapshot'; count: boolean; gc?: boolean } | { type: 'close' };

export type ServerMessage =
  | { type: 'ready'; mqttUrl: string; httpUrl: string; devices: DeviceCredentials[]; users: UserCredentials[]; provisionMs: number; storedBefore: number; storedBeforeMs: number; startMs: number }
  | { type: 'snapshot'; snapshot: ServerSnapshot }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

// ---- load-process.ts -------------------------------------------------------

export interface LoadPlan {
  url: string;
  devices: DeviceCredentials[];
  /**
   * `saturate`: every client keeps `window` messages in flight, publishing the next
   * as soon as one is acknowledged. `paced`: `ratePerSec` in total, spread evenly
   * over time and round-robin over the clients, at most `window` in flight each.
   */
  mode: 'saturate' | 'paced' | 'idle';
  window: number;
  ratePerSec?: number;
  warmupS: number;
  seconds: number;
  /** After the window, how long to wait for outstanding PUBACKs. */
  drainTimeoutS: number;
  /** Boot id of every device's readings; (device, boot, seq) must be new for each run. */
  boot: string;
  /** Concurrent CONNECTs while the fleet comes up. */
  connectConcurrency: number;
  /**
   * Paced mode: reading k is out of band (above the chilled limit, so a site with
   * immediate alarms raises an alert) when k is a multiple of this. Coprime with
   * the device count, so consecutive alerts come from different devices.
   */
  alertEvery?: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export interface LoadResult {
  /** Over the whole run (warm-up, window and drain). */
  sent: number;
  acked: number;
  publishErrors: number;
  /** Client connections closed while the run was going. */
  disconnects: number;
  /** PUBACKs received inside the measurement window, and its actual length. */
  windowAcked: number;
  windowSent: number;
  windowMs: number;
  /** Publish → PUBACK of messages published inside the window. */
  latency: LatencySummary;
  /** Paced mode: readings that waited because the client's window was full. */
  deferred: number;
  /** Paced mode: readings still waiting when the window closed (never sent). */
  unsent: number;
  /** Messages without a PUBACK when the drain gave up (0 when drained). */
  inFlightAtEnd: number;
  connectMs: number;
  /** Out-of-band readings published inside the window (each should raise one alert). */
  windowAlerts: number;
  /** The window in wall-clock time (Date.now()), to match alerts raised inside it. */
  windowStartEpochMs: number;
  windowEndEpochMs: number;
  start: ProcessSample;
  end: ProcessSample;
  /** The load generator's own stalls during the window: a late timer or a GC pause here delays the PUBACKs it times. */
  pauses: Pauses;
}

export type LoadRequest = { type: 'run'; plan: LoadPlan } | { type: 'close' };

export type LoadMessage =
  | { type: 'connected'; clients: number; ms: number }
  | { type: 'window:start' }
  | { type: 'window:end' }
  | { type: 'result'; result: LoadResult }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

// ---- dashboard-process.ts --------------------------------------------------

/** argv[2] of dashboard-process.js, as JSON. */
export interface DashboardSpec {
  httpUrl: string;
  users: UserCredentials[];
  clients: number;
  /** The first this many are socket.io-client instances; the rest are wire clients (dashboard-process.ts). Default: all. */
  fullClients?: number;
}

/** Alerts counted are those raised (device clock) inside this wall-clock window. */
export type DashboardRequest = { type: 'collect'; fromEpochMs: number; toEpochMs: number } | { type: 'close' };

export interface DashboardResult {
  clients: number;
  /** How many of them were socket.io-client instances. */
  fullClients: number;
  /** alert:raised events (temperature_high) received inside the window, over all clients. */
  received: number;
  /** Fewest and most such alerts one client received. */
  perClientMin: number;
  perClientMax: number;
  /** Alert raised (the reading's device timestamp, set at publish) → alert:raised on the client. */
  latency: LatencySummary;
  disconnects: number;
  start: ProcessSample;
  end: ProcessSample;
}

export type DashboardMessage =
  | { type: 'ready'; clients: number; ms: number }
  | { type: 'result'; result: DashboardResult }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

// ---- history-process.ts ----------------------------------------------------

/** The device and week every history query asks for. */
export interface HistoryTarget {
  deviceId: string;
  from: number;
  to: number;
  field: string;
  points: number;
}

export type HistoryRequest =
  | { type: 'generate'; file: string; readings: number; fleet: number }
  | { type: 'query'; file: string; target: HistoryTarget; count: number }
  | { type: 'http'; httpUrl: string; user: UserCredentials; target: HistoryTarget; count: number }
  | { type: 'close' };

export interface Generated {
  readings: number;
  dataDevices: number;
  /** Readings of the queried device in its week. */
  targetReadings: number;
  /** Registering the fleet, then writing the readings. */
  fleetMs: number;
  ms: number;
  /** Bringing the hourly rollups up to date afterwards, as a running server would have kept them. */
  rollupMs: number;
  fileBytes: number;
  target: HistoryTarget;
  /** A registered device, to time "ready to accept devices", and an admin to log in with. */
  device: DeviceCredentials;
  admin: UserCredentials;
}

export type HistoryMessage =
  | { type: 'generated'; generated: Generated }
  | { type: 'latency'; latency: LatencySummary; points: number }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

// ---- subscriber-process.ts (the Mosquitto baseline's consumer) --------------

export type SubscriberRequest = { type: 'count' } | { type: 'close' };

export type SubscriberMessage =
  | { type: 'ready' }
  | { type: 'count'; received: number; sample: ProcessSample }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

/** Busy and total jiffies of the whole machine (/proc/stat), or undefined where there is none. */
export function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    // idle + iowait are the idle share; everything else (steal included) is taken.
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** Samples this process's CPU and event-loop counters. */
export function sampleProcess(): ProcessSample {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  return { atMs: performance.now(), cpuUserUs: cpu.user, cpuSystemUs: cpu.system, eluIdleMs: elu.idle, eluActiveMs: elu.active, runQueueWaitNs: runQueueWaitNs() };
}

/**
 * The main thread's time waiting on a run queue: runnable, but another task had
 * its core. On a shared machine this tells a busy loop that was not given the
 * CPU from one that was blocked in a system call (`/proc/thread-self/schedstat`,
 * second field).
 */
function runQueueWaitNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

/** Share of the wall time between two samples that the sampled thread waited for a core, in percent. */
export function runQueueWaitPercent(a: ProcessSample, b: ProcessSample): number {
  const wallNs = (b.atMs - a.atMs) * 1e6;
  return wallNs > 0 ? round(((b.runQueueWaitNs - a.runQueueWaitNs) / wallNs) * 100, 1) : 0;
}

/** Share of one core used between two samples, in percent. */
export function cpuPercent(a: ProcessSample, b: ProcessSample): number {
  const wallUs = (b.atMs - a.atMs) * 1000;
  if (wallUs <= 0) return 0;
  return round(((b.cpuUserUs - a.cpuUserUs + b.cpuSystemUs - a.cpuSystemUs) / wallUs) * 100, 1);
}

/** What the WAL checkpointer did between two server snapshots: its copies, the holds of the commits for start-overs, and fallback restarts. */
export function checkpointFields(a: ServerSnapshot, b: ServerSnapshot) {
  const ms = (key: 'checkpointSeconds' | 'walHeldSeconds' | 'forcedRestartSeconds') => round((b[key] - a[key]) * 1000, 1);
  return {
    checkpointCopies: b.checkpointCopies - a.checkpointCopies,
    checkpointMs: ms('checkpointSeconds'),
    walHolds: b.walHolds - a.walHolds,
    walHoldsGaveUp: b.walHoldsGaveUp - a.walHoldsGaveUp,
    walHeldMs: ms('walHeldSeconds'),
    forcedRestarts: b.forcedRestarts - a.forcedRestarts,
    forcedRestartMs: ms('forcedRestartSeconds'),
    walFramesWritten: b.walFramesWritten - a.walFramesWritten,
  };
}

/** Event-loop utilisation between two samples, 0..1. */
export function eventLoopUtilization(a: ProcessSample, b: ProcessSample): number {
  const active = b.eluActiveMs - a.eluActiveMs;
  const idle = b.eluIdleMs - a.eluIdleMs;
  return active + idle > 0 ? round(active / (active + idle), 3) : 0;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Sends one IPC message to the parent. A child without a parent channel (started
 * by hand) has nothing to talk to, so it stops.
 */
export function sendToParent<M>(message: M): void {
  if (!process.send) {
    console.error('this is a bench child process; start it through dist/bench/run.js');
    process.exit(2);
  }
  process.send(message);
}
