import { Random } from '../simulators/random.js';
import { AckedLoad, delay } from './devices.js';
import { HostileClients } from './hostile.js';
import { freePort, ServerProcess } from './server-process.js';
import { checkAcknowledged, provisionDevices } from './store-check.js';

export interface KillLoopOptions {
  /** The server's entry point (dist/app/main.js, or a bundle of app/main.ts). */
  entry: string;
  /** A fresh, empty data dir; the server keeps its SQLite file there across every restart. */
  dataDir: string;
  devices: number;
  /** SIGKILLs to deliver. */
  kills: number;
  /** Each run of the server lasts a random time in [minUpMs, maxUpMs] before it is killed. */
  minUpMs: number;
  maxUpMs: number;
  seed: number;
  /** QoS 1 readings in flight per device, and the pause between a device's publishes. */
  window: number;
  intervalMs: number;
  synchronous: 'full' | 'normal';
  /** After the last restart, run this long so every device shows it reconnected and resumed. */
  settleMs: number;
  /** How the last server run ends: SIGKILL proves the store holds without any shutdown step; SIGTERM the graceful path. */
  finalStop: 'SIGKILL' | 'SIGTERM';
  /** Start a hostile connection (garbage, 250 MiB header, wrong secret, silence) this often, ms; 0: none. */
  hostileIntervalMs?: number;
  onLog?: (line: string) => void;
}

export interface KillLoopReport {
  devices: number;
  /** SIGKILLs plus hostile connections. */
  faultsInjected: number;
  kills: number;
  hostileConnections: number;
  /** Hostile connections the server closed by itself (the rest were still open when we hung up after 15 s). */
  hostileClosedByServer: number;
  restarts: number;
  sent: number;
  acknowledged: number;
  stored: number;
  lost: number;
  missing: string[];
  /** Server runs that ended by themselves (not by our signal): must be zero. */
  crashes: number;
  crashDetails: string[];
  reconnects: number;
  /** Devices with a PUBACK after the last restart (all of them, when devices resume). */
  devicesResumed: number;
  /** Highest peak RSS of any server run, MiB. */
  peakRssMiB: number | undefined;
  seconds: number;
}

/**
 * The kill loop (fault item 9): the real server as a child process under load
 * from real MQTT devices, killed with SIGKILL at random moments and restarted on
 * the same data dir and port. At the end every reading that got a PUBACK must
 * be in the SQLite file.
 */
export async function runKillLoop(options: KillLoopOptions): Promise<KillLoopReport> {
  const started = Date.now();
  const random = new Random(options.seed);
  const devices = await provisionDevices(options.dataDir, options.devices);
  const port = await freePort();
  const env = {
    SK_DATA_DIR: options.dataDir,
    SK_MQTT_HOST: '127.0.0.1',
    SK_MQTT_PORT: String(port),
    SK_HTTP_HOST: '127.0.0.1',
    SK_HTTP_PORT: '0',
    SK_SQLITE_SYNCHRONOUS: options.synchronous,
    // Rules and state flushes are not what is tested here; keep the server's own work to ingest.
    SK_ALERT_TICK_MS: '0',
  };
  const start = () => ServerProcess.start({ entry: options.entry, env, ...(options.onLog ? { onLog: options.onLog } : {}) });
  const crashDetails: string[] = [];
  let peakRssMiB: number | undefined;
  const notePeak = (server: ServerProcess) => {
    const peak = server.peakRssMiB();
    if (peak !== undefined) peakRssMiB = Math.max(peakRssMiB ?? 0, peak);
  };
  /** Waits `ms` unless the server dies first; a death we did not cause is a crash. */
  const runFor = async (server: ServerProcess, ms: number) => {
    const outcome = await Promise.race([delay(ms).then(() => 'alive' as const), server.exited]);
    if (outcome === 'alive') return true;
    crashDetails.push(`exit ${outcome.code ?? outcome.signal}: ${server.lastErrors().slice(-3).join(' | ')}`);
    return false;
  };

  let server = await start();
  const load = new AckedLoad({ url: server.mqttUrl, devices, window: options.window, intervalMs: options.intervalMs, ackTimeoutMs: 5_000 });
  load.start();
  const hostile = new HostileClients(() => port, options.seed + 1, options.hostileIntervalMs ?? 0);
  if (options.hostileIntervalMs) hostile.start();
  let restarts = 0;
  let lastRestartAt = Date.now();
  try {
    for (let kill = 0; kill < options.kills; kill++) {
      if (await runFor(server, random.uniform(options.minUpMs, options.maxUpMs))) {
        notePeak(server);
        await server.stop('SIGKILL');
      }
      server = await start();
      restarts++;
      lastRestartAt = Date.now();
    }
    await runFor(server, options.settleMs);
    await hostile.stop();
    // Let the devices see their last PUBACKs before the final stop, so "acknowledged" is settled.
    await load.stop(2_000);
    notePeak(server);
    await server.stop(options.finalStop);
  } finally {
    await hostile.stop();
    await load.stop(0);
    await server.stop('SIGKILL');
  }

  const figures = load.figures;
  const attacks = hostile.figures;
  const check = checkAcknowledged(options.dataDir, load.boot, load.acked);
  const devicesResumed = [...load.lastAckAt.values()].filter((at) => at > lastRestartAt).length;
  return {
    devices: options.devices,
    faultsInjected: options.kills + attacks.attacks,
    kills: options.kills,
    hostileConnections: attacks.attacks,
    hostileClosedByServer: attacks.closedByServer,
    restarts,
    sent: figures.sent,
    acknowledged: figures.acknowledged,
    stored: check.stored,
    lost: check.lost,
    missing: check.missing,
    crashes: crashDetails.length,
    crashDetails,
    reconnects: figures.reconnects,
    devicesResumed,
    peakRssMiB,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
