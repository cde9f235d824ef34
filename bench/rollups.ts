import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteParts } from '../store/sqlite/index.js';

/**
 * What the SQLite rollup job and the prune cost a fleet of fridges, and how long
 * each blocks the event loop: 2,000 fridges at one reading every 30 s (two hours
 * of history first), then steady-state runs each taking up one minute of new
 * readings, then a whole hour of readings taken up every `SK_BENCH_ROLLUP_EVERY_S`
 * (60, the job's default cadence), then a prune that removes the first hour, one
 * half an hour later (nothing more is old enough) and one an hour later (the
 * second hour is). `npm run bench:rollups`; `SK_BENCH_DEVICES`, `SK_BENCH_RUNS`
 * and `SK_BENCH_INTERVAL_S` (30) change the sizes. Prints one JSON line.
 *
 * The hour is what a cadence costs: a pass at the start of an hour is not one at
 * its end (an hour that must be recomputed reads all its raw rows so far), and
 * `extended` / `recomputed` say how the device-hours were brought up to date.
 *
 * "Longest block" is the longest gap between two turns of a setImmediate ticker
 * running beside the job: the longest stretch in which nothing else (MQTT,
 * HTTP, ingest) could run.
 */
const DEVICES = Number(process.env.SK_BENCH_DEVICES ?? 2_000);
const RUNS = Number(process.env.SK_BENCH_RUNS ?? 5);
const INTERVAL_MS = Number(process.env.SK_BENCH_INTERVAL_S ?? 30) * 1000;
const ROLLUP_EVERY_MS = Number(process.env.SK_BENCH_ROLLUP_EVERY_S ?? 60) * 1000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'sk-bench-rollups-'));
const parts = openSqliteParts({ file: join(dir, 'bench.sqlite'), synchronous: 'full', rollups: { bandOf: () => ({ minC: 0, maxC: 8 }) } });
const { db, rollups } = parts;

/** Runs `job` with a ticker beside it; returns the job's wall time and the longest gap between ticks. */
async function blocking<T>(job: () => T | Promise<T>): Promise<{ result: T; totalMs: number; longestBlockMs: number }> {
  let running = true;
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const start = performance.now();
  const result = await job();
  const totalMs = performance.now() - start;
  running = false;
  // The gap that ends with the job itself (a job that never yields is one gap).
  longest = Math.max(longest, performance.now() - last);
  return { result, totalMs, longestBlockMs: longest };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const start = Date.UTC(2026, 0, 5, 8);
  db.exec(`INSERT INTO regions (id, name, level, parent_id, path) VALUES ('c', 'c', 'city', NULL, '/c/');
           INSERT INTO sites (id, name, region_id, address, timezone, active) VALUES ('s', 's', 'c', NULL, 'Asia/Shanghai', 1);`);
  const device = db.prepare(
    `INSERT INTO devices (id, site_id, kind, label, profile, expected_interval_s, secret_salt, secret_hash, created_at)
     VALUES (?, 's', 'temperature', 'fridge', 'chilled', ?, x'00', x'00', ?)`,
  );
  const insert = db.prepare('INSERT INTO telemetry_temperature (device_key, ts, boot, seq, received_at, "temperatureC") VALUES (?, ?, ?, ?, ?, ?)');
  const keys: number[] = [];
  db.transaction(() => {
    for (let d = 0; d < DEVICES; d++) keys.push(Number(device.run(`f${d}`, INTERVAL_MS / 1000, start).lastInsertRowid));
  })();
  let seq = 0;
  /** Readings of every fridge in [from, to), in arrival order (all fridges each interval, each at its own offset). */
  const ingest = (from: number, to: number) =>
    db.transaction(() => {
      for (let t = from; t < to; t += INTERVAL_MS) {
        keys.forEach((key, i) => {
          const ts = t + Math.floor((i / keys.length) * INTERVAL_MS);
          insert.run(key, ts, 'b', ++seq, ts, 2 + (seq % 5));
        });
      }
    })();

  let now = start + 2 * HOUR_MS;
  ingest(start, now);
  const catchUp = await blocking(() => rollups.run());
  // A run takes up at most maxRowsPerRun rows: finish catching up before measuring the steady state.
  while ((await rollups.run()) > 0);
  const steady: { totalMs: number; longestBlockMs: number; deviceHours: number }[] = [];
  for (let r = 0; r < RUNS; r++) {
    ingest(now, now + 60_000);
    now += 60_000;
    const run = await blocking(() => rollups.run());
    steady.push({ totalMs: run.totalMs, longestBlockMs: run.longestBlockMs, deviceHours: run.result });
  }
  // One hour of data, one pass after each cadence step: the job's CPU per hour.
  const hour: { totalMs: number; longestBlockMs: number }[] = [];
  for (const end = now + HOUR_MS; now < end; ) {
    const step = Math.min(ROLLUP_EVERY_MS, end - now);
    ingest(now, now + step);
    now += step;
    const run = await blocking(() => rollups.run());
    hour.push({ totalMs: run.totalMs, longestBlockMs: run.longestBlockMs });
  }
  // Raw retention such that the first hour of history is past it.
  const rawDays = (now - (start + HOUR_MS)) / DAY_MS;
  const prune = await blocking(() => rollups.prune(now, { rawDays, rollupDays: 3650 }));
  // The hourly prune after it: half an hour on, nothing more is old enough; an hour on, the second hour is.
  const pruneNothingOld = await blocking(() => rollups.prune(now + HOUR_MS / 2, { rawDays, rollupDays: 3650 }));
  const pruneNextHour = await blocking(() => rollups.prune(now + HOUR_MS, { rawDays, rollupDays: 3650 }));
  console.log(
    JSON.stringify({
      bench: 'rollups',
      devices: DEVICES,
      catchUp: { rows: DEVICES * Math.ceil((2 * HOUR_MS) / INTERVAL_MS), deviceHours: catchUp.result, totalMs: round(catchUp.totalMs), longestBlockMs: round(catchUp.longestBlockMs) },
      steady: {
        runs: RUNS,
        rowsPerRun: DEVICES * Math.ceil(60_000 / INTERVAL_MS),
        deviceHoursPerRun: median(steady.map((s) => s.deviceHours)),
        medianTotalMs: round(median(steady.map((s) => s.totalMs))),
        medianLongestBlockMs: round(median(steady.map((s) => s.longestBlockMs))),
        maxLongestBlockMs: round(Math.max(...steady.map((s) => s.longestBlockMs))),
      },
      hour: {
        rollupEveryS: ROLLUP_EVERY_MS / 1000,
        passes: hour.length,
        totalMs: round(hour.reduce((sum, h) => sum + h.totalMs, 0)),
        medianTotalMs: round(median(hour.map((h) => h.totalMs))),
        maxTotalMs: round(Math.max(...hour.map((h) => h.totalMs))),
        maxLongestBlockMs: round(Math.max(...hour.map((h) => h.longestBlockMs))),
        // How the device-hours were brought up to date over the whole run.
        extended: rollups.updates.extended,
        recomputed: rollups.updates.recomputed,
      },
      prune: { removed: prune.result, totalMs: round(prune.totalMs), longestBlockMs: round(prune.longestBlockMs) },
      pruneNothingOld: { removed: pruneNothingOld.result, totalMs: round(pruneNothingOld.totalMs), longestBlockMs: round(pruneNothingOld.longestBlockMs) },
      pruneNextHour: { removed: pruneNextHour.result, totalMs: round(pruneNextHour.totalMs), longestBlockMs: round(pruneNextHour.longestBlockMs) },
    }),
  );
} finally {
  await parts.store.close();
  rmSync(dir, { recursive: true, force: true });
}
