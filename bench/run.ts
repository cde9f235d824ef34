/**
 * `npm run bench`: load benchmarks of the whole ingest path (MQTT → zod → SQLite
 * group commit → PUBACK), each against a baseline measured in the same run.
 *
 * stdout carries one JSON line per scenario and a final summary line, nothing
 * else; stderr carries a short human summary and the children's output. The run
 * stops by itself (hard timeout), kills every child however it ends, and exits
 * non-zero only on a real failure: acknowledged readings missing, a child
 * crashed, publishes failed, clients dropped, or the timeout hit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { canPin, killAllChildren } from './children.js';
import { CoreSpeed } from './core-speed.js';
import { mosquittoVersion, MOSQUITTO_BIN } from './mosquitto.js';
import { HELP, parseOptions, type BenchOptions, type Scenario } from './options.js';
import { round } from './protocol.js';
import { benchAlerts, type AlertLoadSpec } from './alert-scenarios.js';
import { benchCurvePoint, benchIdle } from './fleet-scenarios.js';
import { benchHistory } from './history-scenario.js';
import { benchMosquitto, benchSunshineKitchen, type Line, type LoadSpec, type Placement } from './scenarios.js';

const NOTE =
  'mosquitto runs with persistence false and acknowledges from memory; sunshine-kitchen acknowledges a reading only after its SQLite group commit (WAL; synchronous=full fsyncs every commit)';

let tmpRoot: string | undefined;
function cleanup(): void {
  killAllChildren();
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  tmpRoot = undefined;
}

process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`bench: ${signal}, stopping`);
    cleanup();
    process.exit(130);
  });
}

function emit(line: Line): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** The WAL checkpointer's part of a window: start-overs (holds of the commits) and fallback restarts under the write lock. */
function walSummary(line: Line): string {
  const forced = line.forcedRestarts ? `, ${line.forcedRestarts} forced restarts (${line.forcedRestartMs} ms under the write lock)` : '';
  return (
    `WAL start-overs ${line.walHolds} (${line.walHoldsGaveUp} gave up), commits held ${line.walHeldMs} ms in all${forced}; ` +
    `checkpoint copies ${line.checkpointCopies}, ${line.checkpointMs} ms; ${line.walFramesPerReading} WAL pages per reading`
  );
}

/** The server's CPU by thread (bench/thread-cpu.ts), where /proc gave it. */
function threadSplit(line: Line): string {
  return line.serverMainThreadCpuPct === undefined ? '' : ` = main thread ${line.serverMainThreadCpuPct}% + others ${line.serverOtherThreadsCpuPct}% (busiest ${line.serverBusiestOtherThreadCpuPct}%)`;
}

/** The cores' speed in the window against the bench's start (bench/core-speed.ts), where it was measured. */
function coreSpeedSummary(line: Line): string {
  return line.core0SpeedPct === undefined
    ? ''
    : `; cores 0 / 1 at ${line.core0SpeedPct} / ${line.core1SpeedPct} % of their speed at the start, their memory walks at ${line.core0MemoryPct} / ${line.core1MemoryPct} %, their cache walks at ${line.core0CachePct} / ${line.core1CachePct} %`;
}

function human(line: Line): void {
  const target = String(line.target);
  const lat = `p50 ${line.p50Ms} / p95 ${line.p95Ms} / p99 ${line.p99Ms} / max ${line.maxMs} ms`;
  const rate = `${Math.round(Number(line.readingsPerSec)).toLocaleString('en')} readings/s`;
  if (line.bench === 'history') {
    console.error(
      `  history at ${Number(line.readings).toLocaleString('en')} readings (${line.fleetDevices} devices registered; the queried one has ${line.targetReadings} in its week): ` +
        `${line.points} points; store call p50 ${line.storeP50Ms} / p95 ${line.storeP95Ms} ms; HTTP p50 ${line.httpP50Ms} / p95 ${line.httpP95Ms} / p99 ${line.httpP99Ms} ms; ` +
        `start-up ${line.startAcceptMs} ms to the first accepted device (median of ${line.startRuns}, slowest ${line.startAcceptMaxMs} ms; last: ${line.startReadyMs} ms to the ready log line, ${line.startRulesBuiltMs} ms until every device's rules are built); generated at ${line.generatePerSec}/s and rolled up in ${line.rollupMs} ms, ${line.fileMiB} MiB`,
    );
  } else if (line.bench === 'idle') {
    console.error(
      `  idle (${line.connected} of ${line.devices} devices connected, keepalive 60 s, in ${line.connectMs} ms): server RSS ${line.rssBeforeMiB} MiB before, ${line.rssConnectedMiB} MiB connected ` +
        `(heap in use ${line.heapBeforeMiB} → ${line.heapConnectedMiB} MiB, resident ${line.heapResidentBeforeMiB} → ${line.heapResidentConnectedMiB} MiB of which young ${line.youngResidentConnectedMiB}; external ${line.externalConnectedMiB} MiB) = ${line.kibPerConnection} KiB per connection${line.note ? `; ${line.note}` : ''}`,
    );
  } else if (line.bench === 'curve') {
    console.error(
      `  curve at ${line.devices} devices: paced ${line.offeredPerSec}/s p50 ${line.pacedP50Ms} / p99 ${line.pacedP99Ms} ms; saturated ${line.readingsPerSec} readings/s (window ${line.saturateWindow}, p99 ${line.saturateP99Ms} ms, limited by ${line.limitedBy}); ` +
        `server RSS ${line.rssBeforeMiB} MiB idle-unconnected, ${line.rssConnectedMiB} connected, ${line.rssSaturatedMiB} saturated; connect ${line.connectMs} ms; lost ${line.lost}`,
    );
  } else if (line.alertP99Ms !== undefined) {
    console.error(
      `  ${line.bench} (${line.devices} devices, ${line.readingsPerSec} readings/s, ${line.alertsPerSec} alerts/s, ${line.clients} socket.io clients, ${line.socketIoClients} of them socket.io-client` +
        `${line.storedBefore ? `, ${line.storedBefore} readings stored before` : ''}): ` +
        `publish→PUBACK ${lat}; group commits over 20 ms ${line.commitsOver20Ms} of ${line.commits}; ${walSummary(line)}; publish→alert:raised p50 ${line.alertP50Ms} / p95 ${line.alertP95Ms} / p99 ${line.alertP99Ms} / max ${line.alertMaxMs} ms; ` +
        `${line.alertDeliveries} deliveries of ${line.alertsInWindow} alerts, missing ${line.missingDeliveries}; lost ${line.lost}; server CPU ${line.serverCpuPct}%${threadSplit(line)} (loop ${line.serverEventLoop}, delay p99 ${line.serverLoopDelayP99Ms} ms, waiting for a core ${line.serverRunQueueWaitPct}%), dashboards CPU ${line.dashboardCpuPct}%; machine ${line.machineBusyPct}% busy${coreSpeedSummary(line)}`,
    );
  } else if (target === 'mosquitto') {
    console.error(
      `  ${line.bench} vs mosquitto ${line.version}: ${rate} delivered to the subscriber (${line.ackedPerSec} acked/s); publish→PUBACK ${lat}; ` +
        `dropped ${line.dropped}; limited by ${line.limitedBy}; broker CPU ${line.brokerCpuPct}%, subscriber ${line.subscriberCpuPct}%, load ${line.loadCpuPct}%; ` +
        `disk: fdatasync of 4 KiB p50 ${line.diskSyncP50Ms} / p99 ${line.diskSyncP99Ms} / max ${line.diskSyncMaxMs} ms (${line.diskSyncs} syncs)${coreSpeedSummary(line)}`,
    );
  } else {
    console.error(
      `  ${line.bench} (${line.devices} devices, synchronous=${line.synchronous}${line.offeredPerSec ? `, offered ${line.offeredPerSec}/s` : ''}): ` +
        `${rate} durable; publish→PUBACK ${lat}; stored ${line.stored} of ${line.acked} acked, lost ${line.lost}; ` +
        `${line.commitsPerSec} commits/s × ${line.avgBatch} msgs (${line.avgCommitMs} ms each); server CPU ${line.serverCpuPct}%${threadSplit(line)} (loop ${line.serverEventLoop}, delay p99 ${line.serverLoopDelayP99Ms} ms, waiting for a core ${line.serverRunQueueWaitPct}%), load CPU ${line.loadCpuPct}% (loop ${line.loadEventLoop}); machine ${line.machineBusyPct}% busy; limited by ${line.limitedBy}${coreSpeedSummary(line)}`,
    );
  }
}

async function main(options: BenchOptions): Promise<number> {
  const cores = cpus().length;
  const env = { node: process.version, cores, cpu: cpus()[0]?.model.trim() ?? 'unknown' };
  const pinned = options.pin && canPin(cores);
  const placement: Placement = pinned ? { serverCore: 0, loadCore: 1 } : { serverCore: undefined, loadCore: undefined };
  // The host's speed core by core during each window (bench/core-speed.ts), calibrated now, before any load.
  const coreSpeed = pinned ? await CoreSpeed.start([0, 1]) : undefined;
  const mosquitto = mosquittoVersion();
  tmpRoot = mkdtempSync(join(options.dataDir ?? tmpdir(), 'sk-bench-'));
  const want = (s: Scenario) => options.scenarios.includes(s);

  console.error(
    `bench${options.smoke ? ' (smoke)' : ''}: node ${env.node}, ${cores} cores (${env.cpu}), ` +
      (pinned ? 'system under test on core 0, load generator on core 1' : 'processes not pinned') +
      `, data in ${tmpRoot}`,
  );

  const drainTimeoutS = options.smoke ? 10 : 30;
  const sustained: LoadSpec = { devices: options.devices, mode: 'saturate', window: options.window, warmupS: options.warmup, seconds: options.seconds, drainTimeoutS };
  const paced: LoadSpec = {
    devices: options.pacedDevices,
    mode: 'paced',
    window: options.window,
    ratePerSec: options.pacedRate,
    warmupS: options.warmup,
    seconds: options.pacedSeconds,
    drainTimeoutS,
  };

  const failures: string[] = [];
  const lines: Partial<Record<Scenario, Line>> = {};
  const all: Line[] = [];
  const record = (scenario: Scenario, result: { line: Line; failures: string[] }) => {
    const line = { ...result.line, ...env, pinned };
    lines[scenario] = line;
    all.push(line);
    failures.push(...result.failures);
    emit(line);
    human(line);
  };
  const curve: Line[] = [];
  let n = 0;
  const dir = (name: string) => join(tmpRoot!, `${++n}-${name}`);
  /**
   * A scenario's directory, after the disk has written back what the previous
   * scenario left and the machine has rested: `latency` right after `sustained`
   * measured the previous run's writeback (p99 368 ms instead of about 100).
   */
  const settle = async () => {
    if (n === 0 || options.smoke) return;
    execFileSync('sync');
    await sleep(2_000);
  };
  const fresh = async (name: string) => {
    await settle();
    return dir(name);
  };

  if (want('sustained')) record('sustained', await benchSunshineKitchen('sustained', sustained, 'full', await fresh('sustained'), placement, options.profile));
  if (want('baseline')) {
    if (mosquitto) record('baseline', await benchMosquitto('sustained', sustained, await fresh('mosquitto'), placement, mosquitto));
    else console.error(`  baseline skipped: ${MOSQUITTO_BIN} not found (apt-get install mosquitto); no ratio in the summary`);
  }
  if (want('paced')) record('paced', await benchSunshineKitchen('paced', paced, 'full', await fresh('paced'), placement, options.profile));
  if (want('normal')) record('normal', await benchSunshineKitchen('sustained-normal', sustained, 'normal', await fresh('normal'), placement, options.profile));
  const alertLoad = (devices: number, ratePerSec: number, alertsPerSec: number, clients: number, fullClients: number, supervisors: number): AlertLoadSpec => ({
    ...paced,
    devices,
    ratePerSec,
    alertsPerSec,
    clients,
    fullClients,
    supervisors,
  });
  // On a grown file (--latency-stored): an empty one has small, shared index pages and cheap checkpoints, and flatters the tail.
  const latencyLoad = { ...alertLoad(options.latencyDevices, options.latencyRate, options.latencyAlerts, 1, 1, 1), storedBefore: options.latencyStored };
  if (want('latency')) record('latency', await benchAlerts('latency', latencyLoad, await fresh('latency'), placement, options.profile));
  // The same paced load through Mosquitto: the PUBACK tail of the load generator, loopback and a C broker on this machine, the floor under ours.
  if (want('latency-baseline') && mosquitto) record('latency-baseline', await benchMosquitto('latency', latencyLoad, await fresh('mosquitto-latency'), placement, mosquitto));
  if (want('fanout')) {
    // One reading per device per second; four supervisors share the sockets, as several tabs each.
    const spec = alertLoad(options.fanoutDevices, options.fanoutDevices, options.fanoutAlerts, options.fanoutClients, options.fanoutFull, 4);
    record('fanout', await benchAlerts('fanout', spec, await fresh('fanout'), placement, options.profile));
  }

  if (want('idle')) record('idle', await benchIdle(options.idleDevices, options.idleSeconds, await fresh('idle'), placement));
  if (want('curve')) {
    for (const devices of options.curveDevices) {
      const point = await benchCurvePoint(devices, options.curveRate, options.pacedSeconds, options.warmup, await fresh(`curve-${devices}`), placement, options.profile);
      curve.push(point.line);
      record('curve', point);
    }
  }

  if (want('history')) {
    await settle();
    for (const point of await benchHistory(options.historyReadings, options.historyFleet, options.historyQueries, dir, placement, options.profile)) record('history', point);
  }

  const ours = lines.sustained;
  const base = lines.baseline;
  const normal = lines.normal;
  const num = (l: Line | undefined, k: string) => (l && typeof l[k] === 'number' ? (l[k] as number) : null);
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? round(a / b, 3) : null);
  const lost = all.reduce((sum, l) => sum + (l.target === 'sunshine-kitchen' && typeof l.lost === 'number' ? l.lost : 0), 0);
  const summary: Line = {
    bench: 'summary',
    ok: failures.length === 0,
    smoke: options.smoke,
    readingsPerSec: num(ours, 'readingsPerSec'),
    p99Ms: num(ours, 'p99Ms'),
    baseline: mosquitto ? `mosquitto ${mosquitto}` : null,
    baselineReadingsPerSec: num(base, 'readingsPerSec'),
    ratioToBaseline: ratio(num(ours, 'readingsPerSec'), num(base, 'readingsPerSec')),
    pacedOfferedPerSec: num(lines.paced, 'offeredPerSec'),
    pacedReadingsPerSec: num(lines.paced, 'readingsPerSec'),
    pacedP99Ms: num(lines.paced, 'p99Ms'),
    normalReadingsPerSec: num(normal, 'readingsPerSec'),
    normalOverFull: ratio(num(normal, 'readingsPerSec'), num(ours, 'readingsPerSec')),
    latencyReadingsPerSec: num(lines.latency, 'readingsPerSec'),
    latencyPubackP99Ms: num(lines.latency, 'p99Ms'),
    latencyAlertP99Ms: num(lines.latency, 'alertP99Ms'),
    latencyBaselinePubackP99Ms: num(lines['latency-baseline'], 'p99Ms'),
    fanoutClients: num(lines.fanout, 'clients'),
    fanoutAlertsPerSec: num(lines.fanout, 'alertsPerSec'),
    fanoutAlertP99Ms: num(lines.fanout, 'alertP99Ms'),
    idleConnected: num(lines.idle, 'connected'),
    idleRssMiB: num(lines.idle, 'rssConnectedMiB'),
    idleKibPerConnection: num(lines.idle, 'kibPerConnection'),
    historyReadings: num(lines.history, 'readings'),
    historyHttpP95Ms: num(lines.history, 'httpP95Ms'),
    historyStoreP95Ms: num(lines.history, 'storeP95Ms'),
    startupAcceptMs: num(lines.history, 'startAcceptMs'),
    // devices: saturated readings/s, paced p99 ms, connected RSS MiB
    curve: curve.length ? curve.map((c) => `${c.devices}: ${c.readingsPerSec}/s, p99 ${c.pacedP99Ms} ms, ${c.rssConnectedMiB} MiB`).join('; ') : null,
    historyCurve: all.filter((l) => l.bench === 'history').map((h) => `${h.readings}: store p95 ${h.storeP95Ms} ms, http p95 ${h.httpP95Ms} ms, start ${h.startAcceptMs} ms`).join('; ') || null,
    lost,
    failures: failures.length ? failures.join('; ') : null,
    note: mosquitto ? NOTE : 'baseline skipped: mosquitto not installed',
    ...env,
    pinned,
  };
  emit(summary);
  console.error(
    `summary: sunshine-kitchen ${summary.readingsPerSec ?? '-'} readings/s durable` +
      (summary.ratioToBaseline !== null ? ` = ${summary.ratioToBaseline} × mosquitto's ${summary.baselineReadingsPerSec} pass-through (which persists nothing)` : '') +
      (summary.normalOverFull !== null ? `; synchronous=normal gives ${summary.normalOverFull} × full` : '') +
      (summary.latencyAlertP99Ms !== null ? `; at ${summary.latencyReadingsPerSec}/s p99 PUBACK ${summary.latencyPubackP99Ms} ms, alert ${summary.latencyAlertP99Ms} ms` : '') +
      (summary.latencyBaselinePubackP99Ms !== null ? ` (mosquitto at the same load: p99 PUBACK ${summary.latencyBaselinePubackP99Ms} ms)` : '') +
      (summary.fanoutAlertP99Ms !== null ? `; ${summary.fanoutClients} dashboards p99 ${summary.fanoutAlertP99Ms} ms` : '') +
      (summary.idleRssMiB !== null ? `; ${summary.idleConnected} idle devices in ${summary.idleRssMiB} MiB (${summary.idleKibPerConnection} KiB each)` : '') +
      (summary.historyHttpP95Ms !== null ? `; history p95 ${summary.historyHttpP95Ms} ms at ${summary.historyReadings} readings, start-up ${summary.startupAcceptMs} ms` : '') +
      `; lost ${lost}${failures.length ? `; FAILED: ${summary.failures}` : ''}`,
  );
  coreSpeed?.close();
  return failures.length === 0 ? 0 : 1;
}

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  console.error(HELP);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
setTimeout(() => {
  console.error(`bench: hard timeout of ${options.timeout} s reached; killing everything`);
  cleanup();
  process.exit(3);
}, options.timeout * 1000).unref();

main(options).then(
  (code) => {
    cleanup();
    process.exit(code);
  },
  (error: unknown) => {
    console.error('bench failed:', error instanceof Error ? error.message : error);
    cleanup();
    process.exit(1);
  },
);
