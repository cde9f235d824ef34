import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../../store/index.js';
import { openSqliteParts, type SqliteParts } from '../../store/sqlite/index.js';
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

  beforeEach(async () => {
    // Chilled: 0–8 °C, as the active rule pack would say.
    parts = openSqliteParts({ file: ':memory:', rollups: { bandOf: (profile) => (profile === 'chilled' ? { minC: 0, maxC: 8 } : undefined) } });
    await seedTree(parts.store.registry);
    await parts.store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw', T0);
    key = parts.keys.require('fridge-1');
  });
  afterEach(async () => {
    await parts.store.close();
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
    parts.rollups.run();
    const [hour] = parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR);
    const inHour = readings.filter((r) => r.ts >= T0 && r.ts < T0 + HOUR).map((r) => r.values.temperatureC as number);
    expect(hour).toMatchObject({ hour: T0, min: 4, max: 10, count: inHour.length });
    expect(hour!.mean).toBeCloseTo(inHour.reduce((a, b) => a + b, 0) / inHour.length, 9);
    expect(hour!.inRangeMs).toBe(30 * MIN);
    // A reading holds for three expected intervals (90 s): the :39 reading covers until :40:30, then nothing until :50.
    expect(hour!.observedMs).toBe(HOUR - 9.5 * MIN);
    // Fields without a band get no time in range.
    await write([{ ...reading(T0 + 2 * HOUR, 100, 5), values: { temperatureC: 5, humidityPct: 40 } }]);
    parts.rollups.run();
    expect(parts.rollups.hourly(key, 'humidityPct', T0, T0 + 3 * HOUR)).toEqual([
      { hour: T0 + 2 * HOUR, min: 40, max: 40, sum: 40, mean: 40, count: 1, inRangeMs: null, observedMs: null },
    ]);
  });

  it('recomputes an hour when a late reading arrives, and a second run changes nothing', async () => {
    await write([reading(T0 + 10 * MIN, 1, 3), reading(T0 + 20 * MIN, 2, 5)]);
    expect(parts.rollups.run()).toBeGreaterThan(0);
    await write([reading(T0 + 15 * MIN, 3, 11)]);
    parts.rollups.run();
    const once = parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR);
    expect(once).toMatchObject([{ min: 3, max: 11, count: 3 }]);
    expect(parts.rollups.run()).toBe(0);
    expect(parts.rollups.hourly(key, 'temperatureC', T0, T0 + HOUR)).toEqual(once);
  });

  it('prunes raw readings past their retention and keeps answering those hours from the rollups until theirs ends', async () => {
    const readings = Array.from({ length: 10 * 24 }, (_, i) => reading(T0 + i * HOUR + 5 * MIN, i, i % 9));
    await write(readings);
    const now = T0 + 10 * DAY;
    const removed = parts.rollups.prune(now, { rawDays: 3, rollupDays: 8 });
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
});
