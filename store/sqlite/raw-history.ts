import type { DeviceKind } from '../../contracts/index.js';
import type { HistoryPoint } from '../index.js';
import { telemetryTable, type SqliteDatabase } from './database.js';
import type Database from 'better-sqlite3';

/** One history request over raw rows: a device (by key), a field, a range and a bucket width. */
export interface RawHistoryQuery {
  kind: DeviceKind;
  key: number;
  field: string;
  from: number;
  to: number;
  bucketMs: number;
}

/** How a query reads its rows: see {@link RawHistory}. */
export type RawHistoryPlan = 'scan' | 'seek';

/** Readings the density probe reads: the span of this many tells how many rows a bucket holds. */
const PROBE_ROWS = 33;
/**
 * Rows per bucket from which one index range per bucket beats one scan and sort.
 * Measured on a file of 9M readings (bench/README.md, "Eighth pass"): a seek costs
 * about 1.5 µs, sorting a row into the group-by about 0.12 µs; equal near 8.
 */
const SEEK_FROM_ROWS_PER_BUCKET = 8;

/**
 * Downsampled history from the raw rows, by either of two plans over the
 * (device, ts, …, fields) index:
 *
 * - `scan` reads the range once and groups by bucket. SQLite cannot tell that the
 *   bucket number rises with `ts`, so it sorts every row into a temporary B-tree
 *   first: about half the cost of a week of one fridge (60,480 rows).
 * - `seek` walks the bucket numbers and aggregates one index range per bucket, in
 *   order, so nothing is sorted; each bucket costs one B-tree descent instead.
 *
 * `read` picks by density: it reads the first {@link PROBE_ROWS} timestamps in the
 * range and seeks when they say a bucket holds {@link SEEK_FROM_ROWS_PER_BUCKET}
 * rows or more. Both plans give the same points (the tests hold them to it).
 */
export class RawHistory {
  private readonly statements = new Map<string, { scan: Database.Statement; seek: Database.Statement }>();
  private readonly probes = new Map<DeviceKind, Database.Statement<[number, number, number], number[]>>();

  constructor(private readonly db: SqliteDatabase) {}

  read(q: RawHistoryQuery): HistoryPoint[] {
    return this.readWith(this.plan(q), q);
  }

  /** The plan {@link read} takes for this query. */
  plan(q: RawHistoryQuery): RawHistoryPlan {
    const first = this.probe(q.kind).all(q.key, q.from, q.to);
    if (first.length < PROBE_ROWS) return 'scan';
    const spanMs = Math.max(1, first[first.length - 1]![0]! - first[0]![0]!);
    return ((PROBE_ROWS - 1) * q.bucketMs) / spanMs >= SEEK_FROM_ROWS_PER_BUCKET ? 'seek' : 'scan';
  }

  readWith(plan: RawHistoryPlan, q: RawHistoryQuery): HistoryPoint[] {
    const stmt = this.statementsFor(q.kind, q.field)[plan];
    const buckets = Math.ceil((q.to - q.from) / q.bucketMs);
    const params = { key: q.key, from: q.from, to: q.to, bucket: q.bucketMs, buckets };
    const point = (b: number, min: number, max: number, mean: number, count: number): HistoryPoint => ({ t: q.from + b * q.bucketMs, min, max, mean, count });
    if (plan === 'scan') {
      const rows = stmt.all(params) as { b: number; min: number; max: number; mean: number; count: number }[];
      return rows.map((r) => point(r.b, r.min, r.max, r.mean, r.count));
    }
    const points: HistoryPoint[] = [];
    for (const [b, aggregates] of stmt.raw().all(params) as [number, string][]) {
      const [min, max, mean, count] = JSON.parse(aggregates) as [number, number, number, number];
      if (count > 0) points.push(point(b, min, max, mean, count));
    }
    return points;
  }

  private probe(kind: DeviceKind) {
    let stmt = this.probes.get(kind);
    if (!stmt) {
      stmt = this.db
        .prepare<[number, number, number], number[]>(`SELECT ts FROM ${telemetryTable(kind)} WHERE device_key = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ${PROBE_ROWS}`)
        .raw();
      this.probes.set(kind, stmt);
    }
    return stmt;
  }

  private statementsFor(kind: DeviceKind, field: string) {
    const sqlKey = `${kind}.${field}`;
    let pair = this.statements.get(sqlKey);
    if (!pair) {
      const table = telemetryTable(kind);
      const col = `"${field}"`;
      const aggregates = `min(${col}), max(${col}), avg(${col}), count(${col})`;
      pair = {
        // better-sqlite3 binds JS numbers as REAL: without the CAST the division would not truncate and every reading would be its own bucket.
        scan: this.db.prepare(
          `SELECT CAST((ts - @from) / @bucket AS INTEGER) AS b, min(${col}) AS min, max(${col}) AS max, avg(${col}) AS mean, count(${col}) AS count
           FROM ${table}
           WHERE device_key = @key AND ts >= @from AND ts < @to AND ${col} IS NOT NULL
           GROUP BY b ORDER BY b`,
        ),
        // One correlated aggregate per bucket; json_array carries its four values in one subquery (doubles keep 17 digits).
        // No `IS NOT NULL` here: the aggregates skip NULLs, a bucket of NULLs only counts 0 (dropped below), and the test cost a
        // tenth of the query (bench/README.md, "Fourteenth pass").
        seek: this.db.prepare(
          `WITH RECURSIVE bucket(b) AS (SELECT 0 UNION ALL SELECT b + 1 FROM bucket WHERE b + 1 < @buckets)
           SELECT b, (SELECT json_array(${aggregates}) FROM ${table}
                      WHERE device_key = @key AND ts >= @from + b * @bucket AND ts < min(@to, @from + (b + 1) * @bucket))
           FROM bucket`,
        ),
      };
      this.statements.set(sqlKey, pair);
    }
    return pair;
  }
}
