import type { DeviceKind } from '../../contracts/index.js';
import type { HistoryResult } from '../index.js';
import { telemetryTable, type SqliteDatabase } from './database.js';
import { HOUR_MS, type Rollups } from './rollups.js';

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
 * `from`, or `to`) cuts is read from the raw rows; so are raw rows newer than the
 * rollup watermark, which no rollup holds yet. The result equals aggregating the
 * raw rows, as long as they are kept (older hours exist only as rollups).
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

  // Hours cut by a bucket boundary: read whole from the raw rows.
  const cut = new Set<number>();
  for (let edge = q.from; ; edge += bucketMs) {
    const at = Math.min(edge, q.to);
    if (at % HOUR_MS !== 0) cut.add(floorHour(at));
    if (edge >= q.to) break;
  }
  const watermark = rollups.watermark(q.kind);
  const table = telemetryTable(q.kind);
  const col = `"${q.field}"`;

  for (const r of rollups.hourly(q.key, q.field, q.from, q.to)) {
    if (!cut.has(r.hour) && r.hour + HOUR_MS <= q.to) add(r.hour, r.min, r.max, r.sum, r.count);
  }
  const rawIn = db.prepare<[number, number, number], { ts: number; v: number }>(
    `SELECT ts, ${col} AS v FROM ${table} WHERE device_key = ? AND ts >= ? AND ts < ? AND ${col} IS NOT NULL`,
  );
  for (const hour of cut) {
    for (const r of rawIn.all(q.key, Math.max(hour, q.from), Math.min(hour + HOUR_MS, q.to))) add(r.ts, r.v, r.v, r.v, 1);
  }
  // Rows above the watermark are few (since the last rollup run): scan them by rowid, not by the (device, ts) index.
  const fresh = db.prepare<[number, number, number, number], { ts: number; v: number }>(
    `SELECT ts, ${col} AS v FROM ${table} NOT INDEXED WHERE rowid > ? AND device_key = ? AND ts >= ? AND ts < ? AND ${col} IS NOT NULL`,
  );
  for (const r of fresh.all(watermark, q.key, q.from, q.to)) {
    if (!cut.has(floorHour(r.ts))) add(r.ts, r.v, r.v, r.v, 1);
  }

  const points = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([b, v]) => ({ t: q.from + b * bucketMs, min: v.min, max: v.max, mean: v.sum / v.count, count: v.count }));
  return { bucketMs, points };
}
