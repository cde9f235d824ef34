import type Database from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

/**
 * Maps device ids to the integer keys telemetry rows use. Keys never change once a
 * device exists, so they are cached for the life of the process.
 */
export class DeviceKeys {
  private readonly cache = new Map<string, number>();
  private readonly lookup: Database.Statement<[string], { key: number }>;

  constructor(db: SqliteDatabase) {
    this.lookup = db.prepare<[string], { key: number }>('SELECT key FROM devices WHERE id = ?');
  }

  find(deviceId: string): number | undefined {
    let key = this.cache.get(deviceId);
    if (key === undefined) {
      key = this.lookup.get(deviceId)?.key;
      if (key !== undefined) this.cache.set(deviceId, key);
    }
    return key;
  }

  /** Telemetry may only be written for registered devices. */
  require(deviceId: string): number {
    const key = this.find(deviceId);
    if (key === undefined) throw new Error(`telemetry for unregistered device ${deviceId}`);
    return key;
  }
}
