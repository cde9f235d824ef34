/**
 * Bench child: the real sunshine-kitchen server (startServer, the same
 * composition root `npm start` uses) on 127.0.0.1, ephemeral ports, its SQLite
 * file in the data dir the orchestrator gives it. Provisions the bench fleet into
 * the file first (as a city's database is when the server starts), starts the
 * server on it, then answers snapshot requests until told to close.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../app/config.js';
import { startServer, type RunningServer } from '../app/server.js';
import { createLogger } from '../observability/logger.js';
import { openSqliteParts } from '../store/sqlite/index.js';
import { provisionFleet, type Fleet } from './fleet.js';
import { writePastReadings } from './past-readings.js';
import { watchPauses } from './pause-monitor.js';
import { recordServerTimeline, TIMELINE_DIR } from './timeline.js';
import { sampleProcess, sendToParent, type ServerMessage, type ServerRequest, type ServerSnapshot, type ServerSpec } from './protocol.js';

const send = (m: ServerMessage) => sendToParent(m);

type HistogramValues = { get(): Promise<{ values: { metricName?: string; labels: Record<string, unknown>; value: number }[] }> };

/**
 * Sum and count of a prom-client histogram and, given one of its bucket bounds, how many observations were above it.
 * With `labels`, of the series that carries them (0s before it has any observation).
 */
async function histogramTotals(h: HistogramValues, bound?: number, labels: Record<string, string> = {}): Promise<{ sum: number; count: number; above: number }> {
  const { values } = (await h.get()) as Awaited<ReturnType<HistogramValues['get']>>;
  const series = values.filter((v) => Object.entries(labels).every(([name, value]) => v.labels[name] === value));
  const pick = (suffix: string) => series.find((v) => v.metricName?.endsWith(suffix))?.value ?? 0;
  const count = pick('_count');
  if (bound === undefined) return { sum: pick('_sum'), count, above: 0 };
  if (series.length === 0) return { sum: 0, count: 0, above: 0 };
  const within = series.find((v) => v.metricName?.endsWith('_bucket') && Number(v.labels.le) === bound)?.value;
  if (within === undefined) throw new Error(`the histogram has no bucket at ${bound}`);
  return { sum: pick('_sum'), count, above: count - within };
}

const pauses = watchPauses();
/** Past readings are one per device every 30 s, the fleet's expected interval, ending this long before the server starts. */
const PAST_INTERVAL_MS = 30_000;
const PAST_GAP_MS = 10 * 60_000;
const timeline = TIMELINE_DIR === undefined ? undefined : recordServerTimeline(TIMELINE_DIR);

/** `storedBefore`: readings written before the server started ({@link ServerSpec.storedBefore}); the count is of what came after. */
async function snapshot(server: RunningServer, count: boolean, gc: boolean, storedBefore: number): Promise<ServerSnapshot> {
  if (gc) {
    // Twice, with a pause: V8 returns freed pages to the OS lazily, and start-up litters.
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    await new Promise((r) => setTimeout(r, 1_000));
    collect?.();
  }
  // Ad hoc: SK_BENCH_HEAP_DIR=dir writes a heap snapshot at every steady-state sample (to see what a connection holds).
  if (gc && process.env.SK_BENCH_HEAP_DIR) writeHeapSnapshot(join(process.env.SK_BENCH_HEAP_DIR, `server-${process.pid}-${Date.now()}.heapsnapshot`));
  const sample = sampleProcess();
  const batches = await histogramTotals(server.metrics.storeBatchSize);
  const writes = await histogramTotals(server.metrics.storeWriteSeconds, 0.02);
  const { sqliteCheckpointSeconds, sqliteWalHoldSeconds, sqliteForcedRestartSeconds } = server.metrics;
  const copies = await histogramTotals(sqliteCheckpointSeconds);
  const caughtUp = await histogramTotals(sqliteWalHoldSeconds, undefined, { outcome: 'caught_up' });
  const gaveUp = await histogramTotals(sqliteWalHoldSeconds, undefined, { outcome: 'gave_up' });
  const forced = await histogramTotals(sqliteForcedRestartSeconds);
  const walFramesWritten = (await server.metrics.sqliteWalFramesWritten.get()).values[0]?.value ?? 0;
  const stored = count ? (await server.store.telemetry.count()) - storedBefore : undefined;
  // Each snapshot reports the stalls since the previous one: the window's, at its end.
  const stalls = pauses.take();
  const memory = process.memoryUsage();
  const connected = (await server.metrics.devicesConnected.get()).values[0]?.value ?? 0;
  return {
    ...sample,
    rssBytes: memory.rss,
    ...stalls,
    heapUsedBytes: memory.heapUsed,
    heapResidentBytes: getHeapStatistics().total_physical_size,
    youngResidentBytes: getHeapSpaceStatistics()
      .filter((space) => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
      .reduce((sum, space) => sum + space.physical_space_size, 0),
    externalBytes: memory.external,
    connected,
    ...(stored === undefined ? {} : { stored }),
    commits: batches.count,
    committedMessages: batches.sum,
    commitSeconds: writes.sum,
    commitsOver20Ms: writes.above,
    checkpointCopies: copies.count,
    checkpointSeconds: copies.sum,
    walHolds: caughtUp.count + gaveUp.count,
    walHoldsGaveUp: gaveUp.count,
    walHeldSeconds: caughtUp.sum + gaveUp.sum,
    forcedRestarts: forced.count,
    forcedRestartSeconds: forced.sum,
    walFramesWritten,
  };
}

/**
 * Ad hoc: SK_BENCH_ALLOC_DIR=dir samples every allocation of the server from
 * ready to close, short-lived ones included (which `--heap-prof` drops), and
 * writes a .heapprofile there: what the young-generation collector spends its
 * time on. `node dist/bench/profile-summary.js <file.heapprofile>` reads it.
 * SK_BENCH_ALLOC_PROMOTED=1 drops what the young generation collected, leaving
 * what it had to copy and promote.
 */
async function sampleAllocations(dir: string | undefined): Promise<(() => Promise<void>) | undefined> {
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.SK_BENCH_ALLOC_PROMOTED !== '1' });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(join(dir, `server-${process.pid}.heapprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

/**
 * Ad hoc: SK_BENCH_SURVIVORS=dir,startS,seconds[,promoted] samples allocations from startS
 * after ready for `seconds`, dropping every object collected meanwhile, and writes
 * `server-<pid>-survivors.heapprofile` to dir. What it holds was allocated in the
 * window and is still alive at its end: the state each message leaves behind
 * (latest values, rule state, stream state), which every young-generation
 * collection has to copy, and so what its pause grows with.
 */
function sampleSurvivors(spec: string | undefined): void {
  if (!spec) return;
  const [dir, startS, seconds, promoted] = spec.split(',');
  const session = new Session();
  session.connect();
  setTimeout(() => {
    void (async () => {
      // `promoted` as a fourth part keeps what a young-generation collection moved to the old one and died there since.
      await session.post('HeapProfiler.startSampling', { samplingInterval: 1_024, includeObjectsCollectedByMajorGC: promoted === 'promoted', includeObjectsCollectedByMinorGC: false });
      await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
      const { profile } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(join(dir!, `server-${process.pid}-survivors.heapprofile`), JSON.stringify(profile));
      session.disconnect();
    })();
  }, Number(startS) * 1000).unref();
}

/**
 * The file as a city's is when its server starts: the bench fleet provisioned
 * and, with {@link ServerSpec.storedBefore}, readings of the past already in it.
 */
async function prepareFile(spec: ServerSpec): Promise<{ fleet: Fleet; provisionMs: number; storedBefore: number; storedBeforeMs: number }> {
  const provisionStarted = performance.now();
  // Nothing else runs here: folds may take the whole event loop.
  const parts = openSqliteParts({ file: join(spec.dataDir, 'sunshine-kitchen.db'), synchronous: 'normal', staging: { loopShare: 1 } });
  try {
    const fleet = await provisionFleet(parts.store, { devices: spec.devices, immediateAlarms: spec.immediateAlarms, supervisors: spec.supervisors });
    const provisionMs = Math.round(performance.now() - provisionStarted);
    if (!spec.storedBefore) return { fleet, provisionMs, storedBefore: 0, storedBeforeMs: 0 };
    const started = performance.now();
    const deviceIds = fleet.devices.map((d) => d.id);
    const perDevice = Math.ceil(spec.storedBefore / deviceIds.length);
    const from = Date.now() - PAST_GAP_MS - perDevice * PAST_INTERVAL_MS;
    const written = await writePastReadings(parts.store.ingestSink, { deviceIds, total: spec.storedBefore, perDevice, from, intervalMs: PAST_INTERVAL_MS, boot: 'past', afterBatch: () => parts.staged.folded() });
    // Rolled up, as a running server would have done as they came: otherwise its first minutes would be spent on them.
    await parts.rollups.catchUp();
    return { fleet, provisionMs, storedBefore: written, storedBeforeMs: Math.round(performance.now() - started) };
  } finally {
    await parts.store.close();
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const { fleet, provisionMs, storedBefore, storedBeforeMs } = await prepareFile(spec);

  const serverStarted = performance.now();
  // Server settings in the bench's environment (SK_*, not SK_BENCH_*) reach the server under test,
  // so a setting can be compared in the same harness: SK_COMMIT_INTERVAL_MS=2 npm run bench.
  const serverEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SK_') && !k.startsWith('SK_BENCH_')));
  const config = loadConfig({
    ...serverEnv,
    SK_DATA_DIR: spec.dataDir,
    SK_HTTP_HOST: '127.0.0.1',
    SK_HTTP_PORT: '0',
    SK_MQTT_HOST: '127.0.0.1',
    SK_MQTT_PORT: '0',
    SK_LOG_LEVEL: 'warn',
    SK_SQLITE_SYNCHRONOUS: spec.synchronous,
    SK_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
  });
  const server = await startServer(config, { logger: createLogger(config.logLevel) });
  const startMs = Math.round(performance.now() - serverStarted);
  if (timeline) {
    const { storeWriteSeconds, sqliteCheckpointSeconds, sqliteWalHoldSeconds, sqliteFoldSeconds } = server.metrics;
    timeline.watch('commit', storeWriteSeconds);
    timeline.watch('copy', sqliteCheckpointSeconds);
    timeline.watch('hold', sqliteWalHoldSeconds);
    timeline.watch('fold', sqliteFoldSeconds);
  }

  const stopSampling = await sampleAllocations(process.env.SK_BENCH_ALLOC_DIR);
  sampleSurvivors(process.env.SK_BENCH_SURVIVORS);

  let closing: Promise<void> | undefined;
  const shutdown = (code: number) => {
    if (!closing) timeline?.write(`${process.pid}`);
    closing ??= server.close().then(async () => stopSampling?.()).then(
      () => {
        if (process.connected) send({ type: 'closed' });
        process.exit(code);
      },
      (error: unknown) => {
        console.error('server close failed', error);
        process.exit(1);
      },
    );
    return closing;
  };
  // The orchestrator went away (crashed or killed): do not outlive it.
  process.on('disconnect', () => void shutdown(1));
  process.on('message', (raw) => {
    const msg = raw as ServerRequest;
    if (msg.type === 'close') void shutdown(0);
    else if (msg.type === 'snapshot') {
      snapshot(server, msg.count, msg.gc === true, storedBefore).then(
        (s) => send({ type: 'snapshot', snapshot: s }),
        (error: unknown) => send({ type: 'fatal', message: `snapshot failed: ${String(error)}` }),
      );
    }
  });

  send({ type: 'ready', mqttUrl: server.mqttUrl, httpUrl: server.httpUrl, devices: fleet.devices, users: fleet.users, provisionMs, storedBefore, storedBeforeMs, startMs });
}

main().catch((error: unknown) => {
  console.error(error);
  if (process.connected) send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
