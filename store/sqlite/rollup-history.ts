import { HOUR_MS, type DeviceKind } from '../../contracts/index.js';
import type { HistoryResult } from '../index.js';
import { telemetryTable, type SqliteDatabase } from './database.js';
import type { Rollups } from './rollups.js';

interface Bucket {
  min: number;
  max: number;
  sum: number;
  count: number;
}

const floorHour = (t: number) => t - (((t % HOUR_MS) + HOUR_MS) % HOUR_MS);

/**
 * History with buckets of whole hours, mostly from the hourly rollups: a year at
 * daily points reads ~8,760 rollup rows instead of ~a million raw ones. Buckets
 * start at `from` like the raw query's, so an hour that a bucket boundary (or
 * `from`, or `to`) cuts is read from the raw rows; so are raw rows the rollups do
 * not hold yet (above the watermark and above their hour's `last_rowid`). The
 * result equals aggregating the raw rows, as long as they are kept. Hours older
 * than raw retention exist only as rollups: a cut one counts whole, in the bucket
 * where it starts (if that is in the range), rather than dropping out of the chart.
 */
export function rollupHistory(
  db: SqliteDatabase,
  rollups: Rollups,
  q: { kind: DeviceKind; key: number; field: string; from: number; to: number; bucketMs: number },
): HistoryResult {
  const bucketMs = Math.ceil(q.bucketMs / HOUR_MS) * HOUR_MS;
  const buckets = new Map<number, Bucket>();
  const add = (t: number, min: number, max: number, sum: number, count: number) => {
    const b = Math.floor((t - q.from) / bucketMs);
    const bucket = buckets.get(b);
    if (!bucket) buckets.set(b, { min, max, sum, count });
    else {
      bucket.min = Math.min(bucket.min, min);
      bucket.max = Math.max(bucket.max, max);
      bucket.sum += sum;
      bucket.count += count;
    }
  };

  // Hours cut by a bucket boundary: read whole from the raw rows while those are kept.
  const cut = new Set<number>();
  for (let edge = q.from; ; edge += bucketMs) {
    const at = Math.min(edge, q.to);
    if (at % HOUR_MS !== 0) cut.add(floorHour(at));
    if (edge >= q.to) break;
  }
  const prunedBefore = rollups.prunedBefore();
  const watermark = rollups.watermark(q.kind);
  const table = telemetryTable(q.kind);
  const col = `"${q.field}"`;

  /** Per rolled-up hour, the rowid through which it holds raw rows. */
  const heldThrough = new Map<number, number>();
  for (const r of rollups.hourly(q.key, q.field, q.from, q.to)) {
    heldThrough.set(r.hour, r.lastRowid ?? 0);
    const whole = r.hour + HOUR_MS <= q.to && !cut.has(r.hour);
    if (whole || r.hour < prunedBefore) add(r.hour, r.min, r.max, r.sum, r.count);
  }
  const rawIn = db.prepare<[number, number, number], { ts: number; v: number }>(
    `SELECT ts, ${col} AS v FROM ${table} WHERE device_key = ? AND ts >= ? AND ts < ? AND ${col} IS NOT NULL`,
  );
  for (const hour of cut) {
    if (hour < prunedBefore) continue;
    for (const r of rawIn.all(q.key, Math.max(hour, q.from), Math.min(hour + HOUR_MS, q.to))) add(r.ts, r.v, r.v, r.v, 1);
  }
  for (const r of freshRows(db, rollups, q, watermark)) {
    const hour = floorHour(r.ts);
    if (!cut.has(hour) && hour >= prunedBefore && r.id > (heldThrough.get(hour) ?? 0)) add(r.ts, r.v, r.v, r.v, 1);
  }

  const points = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([b, v]) => ({ t: q.from + b * bucketMs, min: v.min, max: v.max, mean: v.sum / v.count, count: v.count }));
  return { bucketMs, points };
}

/**
 * The device's raw rows in the range above the watermark, read the cheaper way:
 * by rowid when few rows are above the watermark (the job is keeping up), by the
 * (device, ts) index when the device has fewer rows in the range than that (a
 * database from before the rollups, or a job that lags): never the whole table.
 */
function freshRows(db: SqliteDatabase, rollups: Rollups, q: { kind: DeviceKind; key: number; field: string; from: number; to: number }, watermark: number) {
  const table = telemetryTable(q.kind);
  const col = `"${q.field}"`;
  const inRange = (q.to - q.from) / Math.max(1_000, rollups.expectedIntervalMs(q.key) ?? 1_000);
  const byRowid = rollups.unrolledRows(q.kind) <= inRange;
  // NOT INDEXED forces the rowid range; the unary + keeps rowid out of the index choice, so the (device, ts) index is used.
  const sql = byRowid
    ? `SELECT rowid AS id, ts, ${col} AS v FROM ${table} NOT INDEXED WHERE rowid > ? AND device_key = ? AND ts >= ? AND ts < ? AND ${col} IS NOT NULL`
    : `SELECT rowid AS id, ts, ${col} AS v FROM ${table} WHERE +rowid > ? AND device_key = ? AND ts >= ? AND ts < ? AND ${col} IS NOT NULL`;
  return db.prepare<[number, number, number, number], { id: number; ts: number; v: number }>(sql).all(watermark, q.key, q.from, q.to);
}
