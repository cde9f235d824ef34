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
import { WalSyncError, type DurableCommits } from './durable-commits.js';
import { IngestExtras } from './ingest-extras.js';
import { RawHistory } from './raw-history.js';
import { rollupHistory } from './rollup-history.js';
import type { Rollups } from './rollups.js';
import type { StageBatch, StagedReadings } from './staged-readings.js';
import type Database from 'better-sqlite3';

/**
 * Telemetry in SQLite, and the ingest sink: all writes of a group commit
 * (readings, camera findings, quarantined payloads) go through
 * {@link SqliteTelemetry.writeBatch} as one transaction. Readings are staged
 * there ({@link StagedReadings}); every read here folds what it reads first.
 */
export class SqliteTelemetry implements TelemetryReader, IngestSink {
  private readonly latestOf: Record<DeviceKind, Database.Statement<[number], Row>>;
  private readonly rawHistory: RawHistory;
  private readonly extras: IngestExtras;
  private readonly transaction: (writes: IngestWrite[], batch: StageBatch) => Promise<IngestWriteResult[]>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly keys: DeviceKeys,
    commits: DurableCommits,
    private readonly staged: StagedReadings,
    /** With rollups, history in buckets of an hour or more reads them. */
    private readonly rollups?: Rollups,
  ) {
    const mk = <T>(make: (kind: DeviceKind, table: string, cols: KindColumns) => T) =>
      Object.fromEntries(DEVICE_KINDS.map((k) => [k, make(k, telemetryTable(k), COLUMNS[k])])) as Record<DeviceKind, T>;
    this.latestOf = mk((_k, table) =>
      db.prepare<[number], Row>(`SELECT * FROM ${table} WHERE device_key = ? ORDER BY ts DESC, seq DESC LIMIT 1`),
    );
    this.extras = new IngestExtras(db, keys);
    this.rawHistory = new RawHistory(db);
    this.transaction = commits.transaction((writes: IngestWrite[], batch: StageBatch) => {
      const results = writes.map((w) => this.applyWrite(w, batch));
      this.staged.write();
      return results;
    });
  }

  async writeBatch(writes: IngestWrite[]): Promise<IngestWriteResult[]> {
    if (this.staged.full) await this.staged.folded();
    const batch = this.staged.batch();
    try {
      // Awaited, so a failed transaction rejects like the contract says; unless staging is full, it runs before the first await.
      return await this.transaction(writes, batch);
    } catch (error) {
      // A failed sync comes after the commit: the rows are in the log, and stay staged.
      if (!(error instanceof WalSyncError)) this.staged.undo(batch);
      throw error;
    }
  }

  private applyWrite(write: IngestWrite, batch: StageBatch): IngestWriteResult {
    const readingsInserted = write.readings.map((r) =>
      this.staged.stage(r.kind, this.keys.require(r.deviceId), r, batch),
    );
    const findingsInserted = this.extras.apply(write);
    return { readingsInserted, findingsInserted };
  }

  async history(q: HistoryQuery): Promise<HistoryResult> {
    const cols = COLUMNS[q.kind];
    if (!cols.fields.includes(q.field)) throw new RangeError(`${q.kind} devices have no field ${q.field}`);
    const bucketMs = historyBucketMs(q);
    const key = this.keys.find(q.deviceId);
    if (key === undefined || q.to <= q.from) return { bucketMs, points: [] };
    this.staged.foldDevices([[q.kind, key]]);
    if (this.rollups && bucketMs >= HOUR_MS) return rollupHistory(this.db, this.rollups, { kind: q.kind, key, field: q.field, from: q.from, to: q.to, bucketMs });
    return { bucketMs, points: this.rawHistory.read({ kind: q.kind, key, field: q.field, from: q.from, to: q.to, bucketMs }) };
  }

  async latest(devices: ReadonlyArray<{ id: string; kind: DeviceKind }>): Promise<TelemetryRecord[]> {
    const out: TelemetryRecord[] = [];
    const known = devices.flatMap((d) => {
      const key = this.keys.find(d.id);
      return key === undefined ? [] : [{ ...d, key }];
    });
    this.staged.foldDevices(known.map((d) => [d.kind, d.key] as const));
    for (const d of known) {
      const row = this.latestOf[d.kind].get(d.key);
      if (row) out.push(this.toRecord(d.id, d.kind, row));
    }
    return out;
  }

  async count(deviceId?: string): Promise<number> {
    let total = 0;
    const key = deviceId === undefined ? undefined : this.keys.find(deviceId);
    if (deviceId !== undefined && key === undefined) return 0;
    this.staged.foldAll();
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
