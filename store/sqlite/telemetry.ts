import { DEVICE_KINDS, HOUR_MS, type DeviceKind } from '../../contracts/index.js';
import type {
  HistoryQuery,
  HistoryResult,
  IngestSink,
  IngestWrite,
  IngestWriteResult,
  TelemetryReader,
  TelemetryRecord,
} from '../index.js';
import { historyBucketMs } from '../index.js';
import { telemetryTable, type SqliteDatabase } from './database.js';
import { COLUMNS, type KindColumns, type Row } from './kind-columns.js';
import type { DeviceKeys } from './device-keys.js';
import type { DurableCommits } from './durable-commits.js';
import { IngestExtras } from './ingest-extras.js';
import { RawHistory } from './raw-history.js';
import { rollupHistory } from './rollup-history.js';
import type { Rollups } from './rollups.js';
import type Database from 'better-sqlite3';

/**
 * Telemetry in SQLite, and the ingest sink: all writes of a group commit
 * (readings, camera findings, quarantined payloads) go through
 * {@link SqliteTelemetry.writeBatch} as one transaction.
 */
export class SqliteTelemetry implements TelemetryReader, IngestSink {
  private readonly insertReading: Record<DeviceKind, Database.Statement>;
  private readonly latestOf: Record<DeviceKind, Database.Statement<[number], Row>>;
  private readonly rawHistory: RawHistory;
  private readonly extras: IngestExtras;
  private readonly transaction: (writes: IngestWrite[]) => Promise<IngestWriteResult[]>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly keys: DeviceKeys,
    commits: DurableCommits,
    /** With rollups, history in buckets of an hour or more reads them. */
    private readonly rollups?: Rollups,
  ) {
    const mk = <T>(make: (kind: DeviceKind, table: string, cols: KindColumns) => T) =>
      Object.fromEntries(DEVICE_KINDS.map((k) => [k, make(k, telemetryTable(k), COLUMNS[k])])) as Record<DeviceKind, T>;
    this.insertReading = mk((_k, table, cols) =>
      db.prepare(
        `INSERT OR IGNORE INTO ${table} (device_key, ts, boot, seq, received_at, ${cols.fields.map((f) => `"${f}"`).join(', ')})
         VALUES (?, ?, ?, ?, ?, ${cols.fields.map(() => '?').join(', ')})`,
      ),
    );
    this.latestOf = mk((_k, table) =>
      db.prepare<[number], Row>(`SELECT * FROM ${table} WHERE device_key = ? ORDER BY ts DESC, seq DESC LIMIT 1`),
    );
    this.extras = new IngestExtras(db, keys);
    this.rawHistory = new RawHistory(db);
    this.transaction = commits.transaction((writes: IngestWrite[]) => writes.map((w) => this.applyWrite(w)));
  }

  async writeBatch(writes: IngestWrite[]): Promise<IngestWriteResult[]> {
    // Async, so a failed transaction rejects like the contract says; it still runs before the first await.
    return this.transaction(writes);
  }

  private applyWrite(write: IngestWrite): IngestWriteResult {
    const readingsInserted = write.readings.map((r) => {
      const key = this.keys.require(r.deviceId);
      return this.insertReading[r.kind].run(key, r.ts, r.boot, r.seq, r.receivedAt, ...COLUMNS[r.kind].toParams(r.values)).changes > 0;
    });
    const findingsInserted = this.extras.apply(write);
    return { readingsInserted, findingsInserted };
  }

  async history(q: HistoryQuery): Promise<HistoryResult> {
    const cols = COLUMNS[q.kind];
    if (!cols.fields.includes(q.field)) throw new RangeError(`${q.kind} devices have no field ${q.field}`);
    const bucketMs = historyBucketMs(q);
    const key = this.keys.find(q.deviceId);
    if (key === undefined || q.to <= q.from) return { bucketMs, points: [] };
    if (this.rollups && bucketMs >= HOUR_MS) return rollupHistory(this.db, this.rollups, { kind: q.kind, key, field: q.field, from: q.from, to: q.to, bucketMs });
    return { bucketMs, points: this.rawHistory.read({ kind: q.kind, key, field: q.field, from: q.from, to: q.to, bucketMs }) };
  }

  async latest(devices: ReadonlyArray<{ id: string; kind: DeviceKind }>): Promise<TelemetryRecord[]> {
    const out: TelemetryRecord[] = [];
    for (const d of devices) {
      const key = this.keys.find(d.id);
      if (key === undefined) continue;
      const row = this.latestOf[d.kind].get(key);
      if (row) out.push(this.toRecord(d.id, d.kind, row));
    }
    return out;
  }

  async count(deviceId?: string): Promise<number> {
    let total = 0;
    const key = deviceId === undefined ? undefined : this.keys.find(deviceId);
    if (deviceId !== undefined && key === undefined) return 0;
    for (const kind of DEVICE_KINDS) {
      const sql = `SELECT count(*) AS n FROM ${telemetryTable(kind)}${key === undefined ? '' : ' WHERE device_key = ?'}`;
      const row = this.db.prepare(sql).get(...(key === undefined ? [] : [key])) as { n: number };
      total += row.n;
    }
    return total;
  }

  private toRecord(deviceId: string, kind: DeviceKind, row: Row): TelemetryRecord {
    return {
      deviceId,
      kind,
      ts: row.ts as number,
      seq: row.seq as number,
      boot: row.boot as string,
      receivedAt: row.received_at as number,
      values: COLUMNS[kind].fromRow(row),
    };
  }
}
