import type { FindingReader, FindingRecord } from '../index.js';
import type { SqliteDatabase } from './database.js';
import type { DeviceKeys } from './device-keys.js';
import type Database from 'better-sqlite3';

interface FindingRow {
  ts: number;
  seq: number;
  boot: string;
  type: FindingRecord['type'];
  confidence: number;
  zone: string | null;
  snapshot_url: string | null;
  received_at: number;
}

export class SqliteFindings implements FindingReader {
  private readonly newest: Database.Statement<[number, number], FindingRow>;

  constructor(
    db: SqliteDatabase,
    private readonly keys: DeviceKeys,
  ) {
    this.newest = db.prepare<[number, number], FindingRow>(
      'SELECT * FROM camera_findings WHERE device_key = ? ORDER BY ts DESC, seq DESC LIMIT ?',
    );
  }

  async list(query: { deviceId: string; limit: number }): Promise<FindingRecord[]> {
    const key = this.keys.find(query.deviceId);
    if (key === undefined) return [];
    return this.newest.all(key, query.limit).map((r) => ({
      deviceId: query.deviceId,
      ts: r.ts,
      seq: r.seq,
      boot: r.boot,
      type: r.type,
      confidence: r.confidence,
      ...(r.zone === null ? {} : { zone: r.zone }),
      ...(r.snapshot_url === null ? {} : { snapshotUrl: r.snapshot_url }),
      receivedAt: r.received_at,
    }));
  }
}
