import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { NodeChild, spawnPinned } from './children.js';
import { round, type DeviceCredentials, type HistoryMessage, type HistoryRequest, type LatencySummary } from './protocol.js';
import { script, serverNodeFlags, SETUP_TIMEOUT_MS, type Line, type Placement } from './scenarios.js';

const MAIN = script('../app/main.js');
/** Start-ups timed per size; the line gives the median and the slowest. */
const START_RUNS = 3;

/**
 * Start-up as an operator sees it: `node dist/app/main.js` (what `npm start`
 * runs) on a data dir that already holds the readings, from spawn until a
 * device's CONNECT is accepted (CONNACK). Returns the milliseconds to the
 * "ready" log line and to the CONNACK, and a way to stop the server.
 */
async function startMain(dataDir: string, device: DeviceCredentials, core: number | undefined, profileDir?: string, name = 'main'): Promise<{ readyMs: number; acceptMs: number; rulesMs: () => Promise<number>; httpUrl: string; stop: () => Promise<void> }> {
  const t0 = performance.now();
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=server-${name}.cpuprofile`] : [];
  const child = spawnPinned(process.execPath, [...serverNodeFlags(), ...profile, MAIN], {
    label: 'main',
    core,
    ipc: false,
    env: { ...process.env, SK_DATA_DIR: dataDir, SK_HTTP_HOST: '127.0.0.1', SK_HTTP_PORT: '0', SK_MQTT_HOST: '127.0.0.1', SK_MQTT_PORT: '0', SK_LOG_LEVEL: 'info' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  // The alert engine logs when every device's rules are built; it may come after "ready".
  let rulesBuilt: (ms: number) => void;
  const rules = new Promise<number>((resolve) => (rulesBuilt = resolve));
  try {
    const ready = await new Promise<{ mqtt: string; http: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('main: no ready line')), SETUP_TIMEOUT_MS);
      void exited.then(() => reject(new Error('main exited before it was ready')));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('alert rules built for every device')) rulesBuilt(round(performance.now() - t0, 1));
        if (!line.includes('sunshine-kitchen ready')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as { mqtt: string; http: string });
      });
    });
    const readyMs = performance.now() - t0;
    await new Promise<void>((resolve, reject) => {
      const client = mqtt.connect(ready.mqtt, { clientId: device.id, username: device.id, password: device.secret, keepalive: 60, reconnectPeriod: 0, protocolVersion: 4 });
      client.once('connect', () => client.end(true, {}, () => resolve()));
      client.once('error', (error) => reject(new Error(`device refused at start: ${error.message}`)));
    });
    const rulesMs = () => Promise.race([rules, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 120_000))]);
    return { readyMs: round(readyMs, 1), acceptMs: round(performance.now() - t0, 1), rulesMs, httpUrl: ready.http, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const pick = (prefix: string, l: LatencySummary): Line => ({ [`${prefix}P50Ms`]: l.p50Ms, [`${prefix}P95Ms`]: l.p95Ms, [`${prefix}P99Ms`]: l.p99Ms, [`${prefix}MaxMs`]: l.maxMs });

/**
 * `history`: for each size, a fresh SQLite file with that many readings (and the
 * city's registered fleet), then: the store's history call alone, start-up of
 * the real server on that file, and the same query over HTTP.
 */
export async function benchHistory(
  sizes: number[],
  fleet: number,
  queries: number,
  dir: (name: string) => string,
  placement: Placement,
  profileDir?: string,
): Promise<{ line: Line; failures: string[] }[]> {
  const worker = new NodeChild<HistoryRequest, HistoryMessage>('history', script('history-process.js'), [], placement.loadCore);
  const out: { line: Line; failures: string[] }[] = [];
  try {
    for (const readings of sizes) {
      const dataDir = dir(`history-${readings}`);
      const file = join(dataDir, 'sunshine-kitchen.db');
      worker.send({ type: 'generate', file, readings, fleet });
      const { generated } = await worker.next('generated', 3_600_000);
      worker.send({ type: 'query', file, target: generated.target, count: queries });
      const direct = await worker.next('latency', 600_000);
      // Start-up is short and a shared machine makes it jumpy: start a few times, keep the median and the worst.
      const starts: number[] = [];
      for (let i = 1; i < START_RUNS; i++) {
        const run = await startMain(dataDir, generated.device, placement.serverCore);
        starts.push(run.acceptMs);
        await run.stop();
      }
      const main = await startMain(dataDir, generated.device, placement.serverCore, profileDir, `history-${readings}`);
      starts.push(main.acceptMs);
      starts.sort((a, b) => a - b);
      let http;
      let rulesMs;
      try {
        rulesMs = await main.rulesMs();
        worker.send({ type: 'http', httpUrl: main.httpUrl, user: generated.admin, target: generated.target, count: queries });
        http = await worker.next('latency', 600_000);
      } finally {
        await main.stop();
      }
      const failures: string[] = [];
      if (http.points === 0) failures.push(`history at ${readings}: the query returned no points`);
      out.push({
        line: {
          bench: 'history',
          target: 'sunshine-kitchen',
          readings: generated.readings,
          fleetDevices: Math.max(fleet, generated.dataDevices),
          dataDevices: generated.dataDevices,
          targetReadings: generated.targetReadings,
          points: http.points,
          queries,
          ...pick('store', direct.latency),
          ...pick('http', http.latency),
          // Of the last start (the one the HTTP queries ran against).
          startReadyMs: main.readyMs,
          startAcceptMs: starts[Math.floor(starts.length / 2)]!,
          startAcceptMaxMs: starts[starts.length - 1]!,
          startRuns: starts.length,
          startRulesBuiltMs: rulesMs,
          fleetMs: generated.fleetMs,
          generateMs: generated.ms,
          generatePerSec: Math.round(generated.readings / (generated.ms / 1000)),
          rollupMs: generated.rollupMs,
          fileMiB: round(generated.fileBytes / 1024 / 1024, 1),
        },
        failures,
      });
      rmSync(dataDir, { recursive: true, force: true });
    }
    await worker.close({ type: 'close' }, 5_000);
    return out;
  } finally {
    worker.kill();
  }
}
