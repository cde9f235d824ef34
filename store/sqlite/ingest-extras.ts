import type { IngestWrite } from '../index.js';
import type { SqliteDatabase } from './database.js';
import type { DeviceKeys } from './device-keys.js';
import type Database from 'better-sqlite3';

/**
 * The parts of an ingest write that always stay in SQLite, whatever holds the
 * readings: camera findings (de-duplicated on device, boot, seq) and quarantined
 * payloads. Called inside the caller's transaction.
 */
export class IngestExtras {
  private readonly insertQuarantine: Database.Statement;
  private readonly insertFinding: Database.Statement;

  constructor(
    db: SqliteDatabase,
    private readonly keys: DeviceKeys,
  ) {
    this.insertQuarantine = db.prepare(
      `INSERT INTO quarantine (device_id, channel, reason, detail, payload, received_at)
       VALUES (@deviceId, @channel, @reason, @detail, @payload, @receivedAt)`,
    );
    this.insertFinding = db.prepare(
      `INSERT OR IGNORE INTO camera_findings (device_key, ts, boot, seq, type, confidence, zone, snapshot_url, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Stores the findings and quarantine entries; for each finding, true if it was new. */
  apply(write: IngestWrite): boolean[] {
    const inserted = write.findings.map(
      (f) =>
        this.insertFinding.run(this.keys.require(f.deviceId), f.ts, f.boot, f.seq, f.type, f.confidence, f.zone ?? null, f.snapshotUrl ?? null, f.receivedAt)
          .changes > 0,
    );
    for (const q of write.quarantine) this.insertQuarantine.run(q);
    return inserted;
  }
}
