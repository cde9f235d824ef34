import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The CPU a reading costs the store, through its real write path
 * (`ingestSink.writeBatch`, synchronous=full): commits of 100 readings spread
 * over a fleet of `SK_BENCH_DEVICES` fridges (default 2,000), once
 * `SK_BENCH_STORED` readings are in the file (default 1,000,000).
 * `usPerReading` is the process's CPU (every thread, the checkpointer's
 * included) per reading while writing; `drainUsPerReading` the CPU of folding
 * what is still staged once writing stops (0 for a build without staged
 * readings).
 *
 * The store folds staged readings when its own policy says so, unless
 * `SK_BENCH_FOLD_PER_DEVICE` is set: then a fold runs after every that many
 * readings a device (0.07 is a 2 s fold for a city's fleet, one reading a device
 * every 30 s), whatever the build's policy, so builds and fleet shapes compare
 * at the same readings per fold.
 *
 * Its argument is the `dist` directory of the build to measure (default: this
 * one), so a build from before a change can be measured beside it:
 * `node dist/bench/ingest-cost.js /path/to/old/dist`. Prints one JSON line.
 */
const dist = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const STORED = Number(process.env.SK_BENCH_STORED ?? 1_000_000);
const COMMITS = Number(process.env.SK_BENCH_COMMITS ?? 1_000);
const BATCH = 100;
const DEVICES = Number(process.env.SK_BENCH_DEVICES ?? 2_000);
const FOLD_PER_DEVICE = process.env.SK_BENCH_FOLD_PER_DEVICE === undefined ? undefined : Number(process.env.SK_BENCH_FOLD_PER_DEVICE);
const FOLD_EVERY_READINGS = FOLD_PER_DEVICE === undefined ? undefined : Math.max(BATCH, Math.round(FOLD_PER_DEVICE * DEVICES));
/** The build's own timed folds off (this build's option and the one before's). */
const NO_TIMED_FOLDS = { checkEveryMs: 3_600_000, foldEveryMs: 3_600_000 };

const load = (path: string) => import(pathToFileURL(join(dist, path)).href);
const { openSqliteParts } = await load('store/sqlite/index.js');
const { provisionFleet } = await load('bench/fleet.js');
const { writePastReadings } = await load('bench/past-readings.js');

const dir = mkdtempSync(join(tmpdir(), 'sk-ingest-cost-'));
const parts = openSqliteParts({ file: join(dir, 'store.db'), synchronous: 'full', staging: FOLD_EVERY_READINGS === undefined ? {} : NO_TIMED_FOLDS });
try {
  const fleet = await provisionFleet(parts.store, { devices: DEVICES, supervisors: 1 });
  const ids: string[] = fleet.devices.map((d: { id: string }) => d.id);
  const folded = () => parts.staged?.folded();
  if (STORED > 0) {
    const perDevice = Math.ceil(STORED / ids.length);
    await writePastReadings(parts.store.ingestSink, { deviceIds: ids, total: STORED, perDevice, from: Date.now() - 30 * 86_400_000, intervalMs: 30_000, boot: 'past', afterBatch: folded });
  }
  const t0 = Date.now();
  let seq = 0;
  const write = async (commits: number) => {
    for (let c = 0; c < commits; c++) {
      const readings = Array.from({ length: BATCH }, () => {
        seq++;
        return { deviceId: ids[(seq * 7_919) % DEVICES]!, kind: 'temperature', ts: t0 + seq, seq, boot: 'b1', receivedAt: t0 + seq, values: { temperatureC: 4 + (seq % 10) / 10, humidityPct: 60, doorOpen: false } };
      });
      await parts.store.ingestSink.writeBatch([{ readings, findings: [], quarantine: [] }]);
      if (FOLD_EVERY_READINGS !== undefined && seq % FOLD_EVERY_READINGS < BATCH) await folded();
    }
  };
  const cpuUs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return used.user + used.system;
  };
  await write(COMMITS / 5); // warm-up
  const writing = process.cpuUsage();
  await write(COMMITS);
  const writeUs = cpuUs(writing);
  const draining = process.cpuUsage();
  await folded();
  const drainUs = cpuUs(draining);
  const readings = COMMITS * BATCH;
  const round = (n: number) => Math.round(n * 100) / 100;
  console.log(JSON.stringify({ bench: 'ingest-cost', dist, stored: STORED, devices: DEVICES, foldPerDevice: FOLD_PER_DEVICE ?? 'policy', readings, usPerReading: round(writeUs / readings), drainUsPerReading: round(drainUs / readings) }));
} finally {
  await parts.store.close();
  rmSync(dir, { recursive: true, force: true });
}
