import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FieldValues } from '../../contracts/index.js';
import type { HistoryPoint, TelemetryRecord } from '../../store/index.js';
import { openSqliteParts, type SqliteParts } from '../../store/sqlite/index.js';
import { RawHistory, type RawHistoryQuery } from '../../store/sqlite/raw-history.js';
import { newDevice, seededRandom, seedTree, T0 } from './store-contract.js';

const SEC = 1_000;
const MIN = 60 * SEC;

/** Readings of fridge-1 every `everyMs` (± a third) from T0 for `spanMs`; humidity on about half, doors 0/1. */
function readings(seed: number, everyMs: number, spanMs: number): TelemetryRecord[] {
  const random = seededRandom(seed);
  const out: TelemetryRecord[] = [];
  for (let ts = T0 + Math.floor(random() * everyMs), seq = 0; ts < T0 + spanMs; seq++) {
    const values: FieldValues = { temperatureC: Math.round((random() * 12 - 2) * 1000) / 1000 + random() * 1e-9, doorOpen: random() < 0.2 };
    if (random() < 0.5) values.humidityPct = Math.round(random() * 1000) / 10;
    out.push({ deviceId: 'fridge-1', kind: 'temperature', ts, seq, boot: 'b', receivedAt: ts, values });
    ts += Math.round(everyMs * (2 / 3 + (2 / 3) * random()));
  }
  return out;
}

/** The buckets computed in plain JavaScript from the readings written. */
function expected(written: TelemetryRecord[], q: RawHistoryQuery): HistoryPoint[] {
  const buckets = new Map<number, number[]>();
  for (const r of written) {
    const v = r.values[q.field];
    if (v === undefined || r.ts < q.from || r.ts >= q.to) continue;
    const b = Math.floor((r.ts - q.from) / q.bucketMs);
    buckets.set(b, [...(buckets.get(b) ?? []), typeof v === 'boolean' ? Number(v) : (v as number)]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([b, vs]) => ({ t: q.from + b * q.bucketMs, min: Math.min(...vs), max: Math.max(...vs), mean: vs.reduce((s, v) => s + v, 0) / vs.length, count: vs.length }));
}

function expectSamePoints(actual: HistoryPoint[], wanted: HistoryPoint[], label: string) {
  expect(actual.map((p) => [p.t, p.count]), label).toEqual(wanted.map((p) => [p.t, p.count]));
  actual.forEach((p, i) => {
    expect(p.min, label).toBe(wanted[i]!.min);
    expect(p.max, label).toBe(wanted[i]!.max);
    expect(p.mean, label).toBeCloseTo(wanted[i]!.mean, 9);
  });
}

describe('SQLite raw history: scan and seek plans', () => {
  let parts: SqliteParts;
  let history: RawHistory;
  let key: number;

  beforeEach(async () => {
    parts = openSqliteParts({ file: ':memory:' });
    await seedTree(parts.store.registry);
    await parts.store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw', T0);
    await parts.store.registry.createDevice(newDevice('fridge-2', 'site-ft'), 'pw', T0);
    key = parts.keys.require('fridge-1');
    history = new RawHistory(parts.db);
  });
  afterEach(() => parts.store.close());

  const write = async (records: TelemetryRecord[]) => {
    await parts.store.ingestSink.writeBatch([{ readings: records, findings: [], quarantine: [] }]);
    // Another device's readings in the same time span must not leak into fridge-1's buckets.
    await parts.store.ingestSink.writeBatch([{ readings: records.map((r) => ({ ...r, deviceId: 'fridge-2', values: { temperatureC: 99, doorOpen: true, humidityPct: 1 } })), findings: [], quarantine: [] }]);
    // RawHistory reads the telemetry table, which readings reach once folded.
    await parts.staged.folded();
  };

  it('gives the points of the readings by either plan, for dense and sparse buckets, every field, cut ranges and gaps', async () => {
    const written = readings(11, 10 * SEC, 6 * 60 * MIN);
    // A two-hour silence: buckets there are absent, not zero.
    const kept = written.filter((r) => r.ts < T0 + 120 * MIN || r.ts >= T0 + 240 * MIN);
    // Readings exactly on the edges of 10-minute buckets belong to the later bucket only.
    for (let m = 10; m < 120; m += 10) kept.push({ ...kept[0]!, ts: T0 + m * MIN, seq: 100_000 + m, values: { temperatureC: -m, doorOpen: true, humidityPct: m } });
    await write(kept);
    const ranges: [number, number, number][] = [
      [T0, T0 + 6 * 60 * MIN, 1_000], // ~2 rows a bucket
      [T0, T0 + 6 * 60 * MIN, 36], // ~60 rows a bucket
      [T0 + 12_345, T0 + 5 * 60 * MIN - 6_789, 17], // cut at both ends; the last bucket is short
      [T0 - 60 * MIN, T0 + 7 * 60 * MIN, 5_000], // beyond the data on both sides
    ];
    for (const [from, to, points] of ranges) {
      const bucketMs = Math.ceil((to - from) / points);
      for (const field of ['temperatureC', 'humidityPct', 'doorOpen']) {
        const q = { kind: 'temperature' as const, key, field, from, to, bucketMs };
        const wanted = expected(kept, q);
        expect(wanted.length).toBeGreaterThan(0);
        expectSamePoints(history.readWith('scan', q), wanted, `scan ${field} ${from}..${to}/${points}`);
        expectSamePoints(history.readWith('seek', q), wanted, `seek ${field} ${from}..${to}/${points}`);
        expectSamePoints(history.read(q), wanted, `read ${field} ${from}..${to}/${points}`);
      }
    }
  });

  it('seeks when buckets hold many readings and scans when they hold few', async () => {
    await write(readings(5, 10 * SEC, 24 * 60 * MIN));
    const q = (points: number) => ({ kind: 'temperature' as const, key, field: 'temperatureC', from: T0, to: T0 + 24 * 60 * MIN, bucketMs: Math.ceil((24 * 60 * MIN) / points) });
    // A day at 10 s is 8,640 readings: 500 points hold ~17 each, 2,000 hold ~4.
    expect(history.plan(q(100))).toBe('seek');
    expect(history.plan(q(500))).toBe('seek');
    expect(history.plan(q(2_000))).toBe('scan');
    expect(history.plan(q(5_000))).toBe('scan');
    // Fewer readings in the range than the probe reads: one scan is cheapest whatever the buckets.
    expect(history.plan({ ...q(1), from: T0 + 24 * 60 * MIN - 3 * MIN })).toBe('scan');
  });
});
