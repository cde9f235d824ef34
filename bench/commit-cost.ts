import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FIELDS_BY_KIND } from '../contracts/index.js';
import type { IngestWrite, TelemetryRecord } from '../store/index.js';
import { openSqliteParts } from '../store/sqlite/index.js';
import { LatencyRecorder } from './latency.js';

/**
 * What one group commit costs the event loop, through the store's real write
 * path (`ingestSink.writeBatch`, synchronous=full): commits of 10 readings from
 * 10 different fridges of a 2,000-fridge fleet, as at 10,000 readings/s, once
 * the table already holds `SK_BENCH_STORED` readings (default 2,000,000; the
 * bench's `latency` scenario starts from an empty table, where index pages are
 * shared between devices and each commit dirties fewer of them).
 *
 * Baseline in the same run: the same file layout with the telemetry table as it
 * was before one index per reading (UNIQUE (device, boot, seq) plus a
 * (device, ts, temperatureC) history index). `usPerCommit` is from the call
 * until the commit is durable (its WAL fsync included); `loopUsPerCommit` is the
 * part that holds the event loop (the transaction; the fsync runs on the thread
 * pool). `npm run bench:commit`; prints one JSON line.
 */
const DEVICES = Number(process.env.SK_BENCH_DEVICES ?? 2_000);
const STORED = Number(process.env.SK_BENCH_STORED ?? 2_000_000);
const COMMITS = Number(process.env.SK_BENCH_COMMITS ?? 10_000);
const BATCH = Number(process.env.SK_BENCH_BATCH ?? 10);
const T0 = Date.UTC(2026, 0, 5);

const LEGACY_TABLE = `
  DROP TABLE telemetry_temperature;
  CREATE TABLE telemetry_temperature (
    device_key INTEGER NOT NULL, ts INTEGER NOT NULL, boot TEXT NOT NULL, seq INTEGER NOT NULL, received_at INTEGER NOT NULL,
    ${Object.keys(FIELDS_BY_KIND.temperature).map((f) => `"${f}" REAL`).join(', ')},
    UNIQUE (device_key, boot, seq)
  );
  CREATE INDEX telemetry_temperature_history ON telemetry_temperature(device_key, ts, "temperatureC");
`;

async function measure(layout: 'one index per reading' | 'legacy: two indexes') {
  const dir = mkdtempSync(join(tmpdir(), 'sk-bench-commit-'));
  const parts = openSqliteParts({ file: join(dir, 'bench.sqlite'), synchronous: 'full' });
  try {
    const { db } = parts;
    if (layout === 'legacy: two indexes') db.exec(LEGACY_TABLE);
    db.exec(`INSERT INTO regions (id, name, level, parent_id, path) VALUES ('c', 'c', 'city', NULL, '/c/');
             INSERT INTO sites (id, name, region_id, address, timezone, active) VALUES ('s', 's', 'c', NULL, 'Asia/Shanghai', 1);`);
    const device = db.prepare(
      `INSERT INTO devices (id, site_id, kind, label, profile, expected_interval_s, secret_salt, secret_hash, created_at)
       VALUES (?, 's', 'temperature', 'fridge', 'chilled', 30, x'00', x'00', ?)`,
    );
    db.transaction(() => {
      for (let d = 0; d < DEVICES; d++) device.run(`f${d}`, T0);
    })();
    const seqs = new Array<number>(DEVICES).fill(0);
    let ts = T0;
    let next = 0;
    const reading = (): TelemetryRecord => {
      // A stride prime to the fleet size: consecutive readings come from devices far apart in the index.
      next = (next + 7_919) % DEVICES;
      ts += 1;
      return { deviceId: `f${next}`, kind: 'temperature', ts, seq: ++seqs[next]!, boot: 'b1', receivedAt: ts, values: { temperatureC: 3.5, humidityPct: 60, doorOpen: false, batteryPct: 87, rssiDbm: -67 } };
    };
    const write = (readings: TelemetryRecord[]): IngestWrite[] => readings.map((r) => ({ readings: [r], findings: [], quarantine: [] }));
    for (let stored = 0; stored < STORED; stored += 10_000) {
      await parts.store.ingestSink.writeBatch(write(Array.from({ length: Math.min(10_000, STORED - stored) }, reading)));
    }
    const times = new LatencyRecorder();
    const loopTimes = new LatencyRecorder();
    for (let c = 0; c < COMMITS; c++) {
      const batch = write(Array.from({ length: BATCH }, reading));
      const started = performance.now();
      // The transaction runs before writeBatch returns; the WAL sync it then waits for runs off the event loop.
      const written = parts.store.ingestSink.writeBatch(batch);
      loopTimes.add(performance.now() - started);
      await written;
      times.add(performance.now() - started);
    }
    const us = (ms: number) => Math.round(ms * 1000);
    const [durable, loop] = [times.summary(), loopTimes.summary()];
    return { layout, usPerCommit: us(durable.meanMs), p99Us: us(durable.p99Ms), loopUsPerCommit: us(loop.meanMs), loopP99Us: us(loop.p99Ms) };
  } finally {
    await parts.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const current = await measure('one index per reading');
const legacy = await measure('legacy: two indexes');
console.log(
  JSON.stringify({
    bench: 'commit-cost',
    devices: DEVICES,
    stored: STORED,
    commits: COMMITS,
    readingsPerCommit: BATCH,
    current,
    baseline: legacy,
    ratio: Math.round((current.usPerCommit / legacy.usPerCommit) * 100) / 100,
    node: process.version,
  }),
);
