import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FieldValues } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import { openSqliteParts, type RollupOptions, type SqliteParts } from '../../store/sqlite/index.js';
import { Random } from '../../simulators/random.js';
import { newDevice, seedTree, T0 } from './store-contract.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const reading = (ts: number, seq: number, temperatureC: number): TelemetryRecord => ({
  deviceId: 'fridge-1',
  kind: 'temperature',
  ts,
  seq,
  boot: 'b',
  receivedAt: ts,
  values: { temperatureC },
});

describe('SQLite hourly rollups and retention', () => {
  let parts: SqliteParts;
  let key: number;

  /** A fresh in-memory store with one chilled fridge (30 s interval: a reading holds 90 s). */
  const open = async (options: RollupOptions = {}) => {
    await parts?.store.close();
    // Chilled: 0–8 °C, as the active rule pack would say.
    parts = openSqliteParts({ file: ':memory:', rollups: { bandOf: (profile) => (profile === 'chilled' ? { minC: 0, maxC: 8 } : undefined), ...options } });
    await seedTree(parts.store.registry);
    await parts.store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw', T0);
    key = parts.keys.require('fridge-1');
  };
  beforeEach(() => open());
  afterEach(async () => {
    await parts.store.close();
    parts = undefined!;
  });

  const write = (readings: TelemetryRecord[]) => parts.store.ingestSink.writeBatch([{ readings, findings: [], quarantine: [] }]);

  it('keeps min, max, mean, count and the time inside the profile band for each hour', async () => {
    // One reading a minute; 4 °C for the first half hour, 10 °C after; silent from :40 to :50.
    const readings: TelemetryRecord[] = [];
    for (let m = -1; m <= 60; m++) {
      if (m >= 40 && m < 50) continue;
      readings.push(reading(T0 + m * MIN, m + 1, m < 30 ? 4 : 10));
    }
    await write(readings);
    await parts.rollups.run();
    const [hour] = parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR);
    const inHour = readings.filter((r) => r.ts >= T0 && r.ts < T0 + HOUR).map((r) => r.values.temperatureC as number);
    expect(hour).toMatchObject({ hour: T0, min: 4, max: 10, count: inHour.length });
    expect(hour!.mean).toBeCloseTo(inHour.reduce((a, b) => a + b, 0) / inHour.length, 9);
    expect(hour!.inRangeMs).toBe(30 * MIN);
    // A reading holds for three expected intervals (90 s): the :39 reading covers until :40:30, then nothing until :50.
    expect(hour!.observedMs).toBe(HOUR - 9.5 * MIN);
    // Fields without a band get no time in range.
    await write([{ ...reading(T0 + 2 * HOUR, 100, 5), values: { temperatureC: 5, humidityPct: 40 } }]);
    await parts.rollups.run();
    expect(parts.rollups.hourly(key, 'humidityPct', T0, T0 + 3 * HOUR)).toEqual([
      { hour: T0 + 2 * HOUR, min: 40, max: 40, sum: 40, mean: 40, count: 1, inRangeMs: null, observedMs: null, lastRowid: expect.any(Number) },
    ]);
  });

  it('extends hours from new readings to the same figures as recomputing every hour from scratch, late and out-of-order readings included', async () => {
    const random = new Random(20261206);
    const readings: TelemetryRecord[] = [];
    // Five hours of a fridge every ~30 s, drifting in and out of 0–8 °C, with silences longer than a hold,
    // a second field on some readings, and some readings held back and delivered minutes late.
    let ts = T0 - 3 * MIN;
    let temperature = 4;
    while (ts < T0 + 5 * HOUR) {
      ts += random.chance(0.03) ? random.int(2, 6) * MIN : random.int(20_000, 40_000);
      temperature = Math.min(14, Math.max(-4, temperature + random.normal(0, 1.2)));
      const values: FieldValues = { temperatureC: Math.round(temperature * 10) / 10 };
      if (random.chance(0.2)) values.humidityPct = random.int(30, 90);
      readings.push({ ...reading(ts, readings.length + 1, 0), values });
    }
    const late: TelemetryRecord[] = [];
    let passes = 0;
    for (let i = 0; i < readings.length; ) {
      const chunk = readings.slice(i, (i += random.int(1, 8)));
      const onTime = chunk.filter(() => !random.chance(0.05));
      late.push(...chunk.filter((r) => !onTime.includes(r)));
      const delivered = random.chance(0.3) ? late.splice(0) : [];
      await write([...onTime, ...delivered]);
      if (random.chance(0.5)) {
        await parts.rollups.run();
        passes++;
      }
    }
    await write(late);
    await parts.rollups.run();
    const { extended: extendedHours, recomputed: recomputedHours } = parts.rollups.updates;
    // Both ways were taken, many times: in-order readings extend, late ones and new hours recompute.
    expect(passes).toBeGreaterThan(40);
    expect(extendedHours).toBeGreaterThan(30);
    expect(recomputedHours).toBeGreaterThan(10);
    await expectSameAsRecomputed();
  });

  it('recomputes an hour a late reading of the hour before holds into, though its own new readings are in order', async () => {
    // Every 30 s from :30 to :58 of the first hour, then silent until 1:01 (longer than a 90 s hold).
    const ticks = (from: number, to: number) => Array.from({ length: (to - from) / 30_000 + 1 }, (_, i) => from + i * 30_000);
    await write([...ticks(T0 + 30 * MIN, T0 + 58 * MIN), ...ticks(T0 + HOUR + MIN, T0 + HOUR + 20 * MIN)].map((ts, i) => reading(ts, i + 1, 4)));
    await parts.rollups.run();
    const before = parts.rollups.hourly(key, 'temperatureC', T0 + HOUR, T0 + 2 * HOUR)[0]!;
    // :59:50, held back, holds into the second hour until 1:01; 1:20:30 is in order.
    await write([reading(T0 + HOUR - 10_000, 200, 12), reading(T0 + HOUR + 20.5 * MIN, 201, 4)]);
    await parts.rollups.run();
    const after = parts.rollups.hourly(key, 'temperatureC', T0 + HOUR, T0 + 2 * HOUR)[0]!;
    expect(after.observedMs! - before.observedMs!).toBe(MIN + 30_000);
    await expectSameAsRecomputed();
  });

  /** Every stored rollup of the fridge equals what recomputing all of them from the raw rows gives. */
  async function expectSameAsRecomputed(): Promise<void> {
    const stored = () =>
      (
        parts.db
          .prepare('SELECT field, hour, min, max, sum, count, in_range_ms, observed_ms, last_ts, tail_ts, tail_until, tail_in_range FROM telemetry_rollup_hourly WHERE device_key = ? ORDER BY field, hour')
          .all(key) as { sum: number }[]
      ).map(({ sum, ...rest }) => ({ ...rest, sum: Math.round(sum * 1e6) })); // sums add in another order when extended
    const kept = stored();
    parts.db.exec(`DELETE FROM telemetry_rollup_hourly; DELETE FROM telemetry_rollup_state WHERE kind = 'temperature'`);
    await parts.rollups.run();
    expect(kept).toEqual(stored());
  }

  it('recomputes an hour when a late reading arrives, and a second run changes nothing', async () => {
    await write([reading(T0 + 10 * MIN, 1, 3), reading(T0 + 20 * MIN, 2, 5)]);
    expect(await parts.rollups.run()).toBeGreaterThan(0);
    await write([reading(T0 + 15 * MIN, 3, 11)]);
    await parts.rollups.run();
    const once = parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR);
    expect(once).toMatchObject([{ min: 3, max: 11, count: 3 }]);
    expect(await parts.rollups.run()).toBe(0);
    expect(parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR)).toEqual(once);
  });

  it('prunes raw readings past their retention and keeps answering those hours from the rollups until theirs ends', async () => {
    const readings = Array.from({ length: 10 * 24 }, (_, i) => reading(T0 + i * HOUR + 5 * MIN, i, i % 9));
    await write(readings);
    const now = T0 + 10 * DAY;
    const removed = await parts.rollups.prune(now, { rawDays: 3, rollupDays: 8 });
    expect(removed.raw).toBe(7 * 24);
    expect(await parts.store.telemetry.count('fridge-1')).toBe(3 * 24);
    // Days 3–7 have no raw rows left, but daily buckets still count every reading from the rollups.
    const history = await parts.store.telemetry.history({ deviceId: 'fridge-1', kind: 'temperature', field: 'temperatureC', from: T0 + 2 * DAY, to: T0 + 10 * DAY, maxPoints: 8 });
    expect(history.points.map((p) => p.count)).toEqual([24, 24, 24, 24, 24, 24, 24, 24]);
    expect(history.points[0]).toMatchObject({ t: T0 + 2 * DAY, min: 0, max: 8 });
    // Rollups older than their own retention go too.
    expect(parts.rollups.hourly(key, 'temperatureC', T0, T0 + 2 * DAY)).toEqual([]);
    expect(removed.rollups).toBe(2 * 24);
  });

  const hourly = (from: number, to: number) =>
    parts.store.telemetry.history({ deviceId: 'fridge-1', kind: 'temperature', field: 'temperatureC', from, to, maxPoints: Math.round((to - from) / HOUR) });

  it('recomputes only the hours a reading changes: its own, and the next one only when its hold reaches into it', async () => {
    await write([reading(T0 + 10 * MIN, 1, 4)]);
    await parts.rollups.run();
    // Mid-hour: the hour before and the hour after keep their rollups.
    await write([reading(T0 + 30 * MIN, 2, 5)]);
    expect(await parts.rollups.run()).toBe(1);
    // 30 s before the hour's end, with a 90 s hold: the reading also covers the first minute of the next hour.
    await write([reading(T0 + HOUR - 30_000, 3, 5)]);
    expect(await parts.rollups.run()).toBe(2);
    expect(parts.rollups.hourly(key, 'temperatureC', T0 + HOUR, T0 + 2 * HOUR)).toEqual([]);
    await write([reading(T0 + HOUR + 5 * MIN, 4, 20)]);
    await parts.rollups.run();
    expect(parts.rollups.hourly(key, 'temperatureC', T0 + HOUR, T0 + 2 * HOUR)).toMatchObject([{ count: 1, observedMs: 60_000 + 90_000, inRangeMs: 60_000 }]);
  });

  it('recomputes in slices, letting the event loop run between them, and history stays exact between slices', async () => {
    await open({ sliceDeviceHours: 1 });
    const readings = Array.from({ length: 6 }, (_, i) => reading(T0 + i * HOUR + 10 * MIN, i + 1, 3));
    await write(readings);
    let turns = 0;
    const counts: number[] = [];
    const run = parts.rollups.run();
    // Each turn of the event loop between slices: count it and read the history as the API would.
    const watch = async () => {
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        if (settled) return;
        turns++;
        counts.push((await hourly(T0, T0 + 6 * HOUR)).points.reduce((n, p) => n + p.count, 0));
      }
    };
    let settled = false;
    const watching = watch();
    expect(await run).toBe(6);
    settled = true;
    await watching;
    expect(turns).toBeGreaterThanOrEqual(5);
    // Hours already recomputed (ahead of the watermark) are not counted a second time from the raw rows.
    expect(new Set(counts)).toEqual(new Set([6]));
  });

  it('a run capped by maxRowsPerRun counts each reading once', async () => {
    await open({ maxRowsPerRun: 3 });
    await write(Array.from({ length: 10 }, (_, i) => reading(T0 + i * MIN, i + 1, i)));
    await parts.rollups.run();
    expect(parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR)).toMatchObject([{ count: 3, sum: 0 + 1 + 2 }]);
    expect((await hourly(T0, T0 + HOUR)).points).toMatchObject([{ count: 10, min: 0, max: 9 }]);
    while ((await parts.rollups.run()) > 0);
    expect(parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR)).toMatchObject([{ count: 10, sum: 45 }]);
  });

  it('catches up in one job however many passes of maxRowsPerRun that takes', async () => {
    await open({ maxRowsPerRun: 3 });
    await write(Array.from({ length: 10 }, (_, i) => reading(T0 + i * MIN, i + 1, i)));
    await parts.rollups.catchUp();
    expect(parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR)).toMatchObject([{ count: 10, sum: 45 }]);
    expect(parts.rollups.unrolledRows('temperature')).toBe(0);
  });

  it('stops a pass at maxDeviceHoursPerRun, and catches up over passes with every hour exact', async () => {
    await open({ maxDeviceHoursPerRun: 2 });
    // Ten hours at one reading every 7.2 s: 5,000 rows, more than one planning read.
    await write(Array.from({ length: 5_000 }, (_, i) => reading(T0 + i * 7_200, i + 1, i % 7)));
    await parts.rollups.run();
    expect(parts.rollups.unrolledRows('temperature')).toBeGreaterThan(0);
    expect((await hourly(T0, T0 + 10 * HOUR)).points.map((p) => p.count)).toEqual(Array(10).fill(500));
    await parts.rollups.catchUp();
    expect(parts.rollups.unrolledRows('temperature')).toBe(0);
    expect(parts.rollups.hourly(key, 'temperatureC', T0, T0 + 10 * HOUR).map((r) => r.count)).toEqual(Array(10).fill(500));
  });

  it('never lets a new reading reuse the rowid of a pruned one (it would never be rolled up)', async () => {
    const now = T0 + 10 * DAY;
    // A recent reading, then a late buffered one from long ago: the newest rowid holds the oldest reading.
    await write([reading(now - 2 * HOUR, 1, 4), reading(T0, 2, 4)]);
    await parts.rollups.prune(now, { rawDays: 3, rollupDays: 3650 });
    await write([reading(now - HOUR + 5 * MIN, 3, 6)]);
    await parts.rollups.run();
    expect((await hourly(now - 2 * HOUR, now)).points).toMatchObject([{ count: 1, min: 4 }, { count: 1, min: 6 }]);
    expect(parts.rollups.hourly(key, 'temperatureC', now - HOUR, now)).toMatchObject([{ count: 1, min: 6 }]);
  });

  it('reads the raw rows above the watermark through the (device, time) index when many are waiting', async () => {
    // An upgraded database: a large backlog of another fridge's rows that no run has rolled up yet.
    await parts.store.registry.createDevice(newDevice('fridge-2', 'site-ft'), 'pw', T0);
    const other = Array.from({ length: 2_000 }, (_, i) => ({ ...reading(T0 + i * 30_000, i + 1, 5), deviceId: 'fridge-2' }));
    await write(other);
    await write([reading(T0 + 10 * MIN, 1, 4), reading(T0 + HOUR + 10 * MIN, 2, 6)]);
    await parts.staged.folded();
    const plans: string[] = [];
    const prepare = parts.db.prepare.bind(parts.db);
    parts.db.prepare = ((sql: string) => {
      // Statements that read readings of a time range (not max(rowid) and the like).
      if (/FROM telemetry_temperature\b[^]*ts >= \?/.test(sql) && !sql.startsWith('EXPLAIN')) {
        const binds = sql.split('?').length - 1;
        plans.push(...(prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<number>(binds).fill(0)) as { detail: string }[]).map((p) => p.detail));
      }
      return prepare(sql);
    }) as typeof parts.db.prepare;
    expect((await hourly(T0, T0 + 2 * HOUR)).points).toMatchObject([{ count: 1, min: 4 }, { count: 1, min: 6 }]);
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans.filter((p) => p.includes('telemetry_temperature'))) expect(plan).toMatch(/USING (COVERING )?INDEX telemetry_temperature_reading\b/);
  });

  it('keeps hours a bucket edge cuts in long charts after their raw rows are pruned', async () => {
    await write(Array.from({ length: 10 * 24 }, (_, i) => reading(T0 + i * HOUR + 5 * MIN, i, 4)));
    await parts.rollups.prune(T0 + 10 * DAY, { rawDays: 2, rollupDays: 3650 });
    // Daily buckets starting at :30, so every day's first and last hour are cut by an edge.
    const from = T0 + 30 * MIN;
    const history = await parts.store.telemetry.history({ deviceId: 'fridge-1', kind: 'temperature', field: 'temperatureC', from, to: from + 8 * DAY, maxPoints: 8 });
    expect(history.points.reduce((n, p) => n + p.count, 0)).toBe(8 * 24);
    expect(history.points.map((p) => p.count).slice(0, 7)).toEqual([24, 24, 24, 24, 24, 24, 24]);
  });

  it('prunes what ages out hour after hour, late readings from before the last prune too, and skips the search while nothing is old enough', async () => {
    await write(Array.from({ length: 10 * 24 }, (_, i) => reading(T0 + i * HOUR + 5 * MIN, i, 4)));
    const retention = { rawDays: 3, rollupDays: 8 };
    let now = T0 + 10 * DAY;
    expect(await parts.rollups.prune(now, retention)).toEqual({ raw: 7 * 24, rollups: 2 * 24 });
    // Nothing is older than the cutoffs: the next prunes do not look for old rows device by device.
    const deletes: string[] = [];
    const prepare = parts.db.prepare.bind(parts.db);
    parts.db.prepare = ((sql: string) => {
      if (sql.startsWith('DELETE FROM telemetry_temperature')) deletes.push(sql);
      return prepare(sql);
    }) as typeof parts.db.prepare;
    expect(await parts.rollups.prune(now, retention)).toEqual({ raw: 0, rollups: 0 });
    expect(deletes).toEqual([]);
    // A buffered reading from day 1 arrives after that prune (then a current one, as the table's newest row is always kept); the next prune finds it.
    await write([reading(T0 + DAY + 7 * MIN, 1_000, 6), reading(now - 10 * MIN, 1_001, 4)]);
    expect(await parts.store.telemetry.count('fridge-1')).toBe(3 * 24 + 2);
    expect(await parts.rollups.prune(now, retention)).toEqual({ raw: 1, rollups: 0 });
    expect(deletes.length).toBeGreaterThan(0);
    // Time moves on: each hour that ages out goes, raw and rolled up, at the next prune.
    for (let hours = 1; hours <= 3; hours++) {
      now = T0 + 10 * DAY + hours * HOUR;
      expect(await parts.rollups.prune(now, retention)).toEqual({ raw: 1, rollups: 1 });
      expect(await parts.store.telemetry.count('fridge-1')).toBe(3 * 24 + 1 - hours);
      expect(parts.rollups.hourly(key, 'temperatureC', T0, T0 + 2 * DAY + hours * HOUR)).toEqual([]);
    }
  });

  it('prunes raw rows only once they are rolled up, in chunks that let the event loop run', async () => {
    await open({ maxRowsPerRun: 50, pruneChunkRows: 7 });
    await write(Array.from({ length: 10 * 24 }, (_, i) => reading(T0 + i * HOUR + 5 * MIN, i, i % 9)));
    const now = T0 + 10 * DAY;
    // The first prunes find rows the (capped) runs have not rolled up yet, and delete nothing.
    expect(await parts.rollups.prune(now, { rawDays: 3, rollupDays: 3650 })).toEqual({ raw: 0, rollups: 0 });
    let removed = 0;
    let turns = 0;
    for (let i = 0; i < 10 && removed === 0; i++) {
      let pruning = true;
      const ticking = (async () => {
        while (pruning) {
          await new Promise((resolve) => setImmediate(resolve));
          turns++;
        }
      })();
      removed = (await parts.rollups.prune(now, { rawDays: 3, rollupDays: 3650 })).raw;
      pruning = false;
      await ticking;
    }
    expect(removed).toBe(7 * 24);
    expect(turns).toBeGreaterThan((7 * 24) / 7);
    // Every reading of the pruned days is still in the daily history, from the rollups.
    const history = await parts.store.telemetry.history({ deviceId: 'fridge-1', kind: 'temperature', field: 'temperatureC', from: T0, to: now, maxPoints: 10 });
    expect(history.points.map((p) => p.count)).toEqual(Array(10).fill(24));
  });
});
