import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../store/sqlite/index.js';
import { stagedTable, telemetryTable } from '../store/sqlite/database.js';
import { generateDeviceSecret } from '../store/device-credentials.js';
import type { DeviceCredentials } from './devices.js';

/** The SQLite file the server keeps in its data dir (app/server.ts). */
export const dbFile = (dataDir: string) => join(dataDir, 'sunshine-kitchen.db');

/** Registers `count` fridges in the data dir before the server first starts; returns their credentials. */
export async function provisionDevices(dataDir: string, count: number): Promise<DeviceCredentials[]> {
  const store = openSqliteStore({ file: dbFile(dataDir), synchronous: 'normal' });
  try {
    const { registry } = store;
    await registry.upsertRegion({ id: 'soak-city', name: '浸泡市', level: 'city', parentId: null });
    await registry.upsertRegion({ id: 'soak-district', name: '浸泡区', level: 'district', parentId: 'soak-city' });
    await registry.upsertRegion({ id: 'soak-town', name: '浸泡镇', level: 'township', parentId: 'soak-district' });
    await registry.upsertSite({ id: 'soak-site', name: '浸泡餐厅', regionId: 'soak-town' });
    const devices: DeviceCredentials[] = [];
    for (let i = 0; i < count; i++) {
      const id = `soak-fridge-${String(i).padStart(4, '0')}`;
      const secret = generateDeviceSecret();
      await registry.createDevice({ id, siteId: 'soak-site', kind: 'temperature', label: id, profile: 'chilled', expectedIntervalS: 30 }, secret, Date.now());
      devices.push({ id, secret });
    }
    return devices;
  } finally {
    await store.close();
  }
}

export interface StoreCheck {
  /** Acknowledged readings found in the store. */
  stored: number;
  /** Acknowledged readings missing from the store: the number that must be zero. */
  lost: number;
  /** A few of the missing ones, for the report. */
  missing: string[];
  /** Rows of this boot in the store, acknowledged or not (unacknowledged ones may or may not have been committed). */
  rows: number;
}

/** Opens the server's SQLite file (the server is stopped) and looks up every acknowledged reading. */
export function checkAcknowledged(dataDir: string, boot: string, acked: ReadonlyMap<string, ReadonlySet<number>>): StoreCheck {
  const db = new Database(dbFile(dataDir), { readonly: true });
  try {
    // Folded into the telemetry table, or still in the staged log the server appends to before each PUBACK.
    const seqsIn = (table: string) => `SELECT t.seq FROM ${table} t JOIN devices d ON d.key = t.device_key WHERE d.id = ? AND t.boot = ?`;
    const seqsOf = db.prepare<[string, string, string, string], { seq: number }>(`${seqsIn(telemetryTable('temperature'))} UNION ${seqsIn(stagedTable('temperature'))}`);
    const result: StoreCheck = { stored: 0, lost: 0, missing: [], rows: 0 };
    for (const [deviceId, seqs] of acked) {
      const present = new Set(seqsOf.all(deviceId, boot, deviceId, boot).map((r) => r.seq));
      result.rows += present.size;
      for (const seq of seqs) {
        if (present.has(seq)) result.stored++;
        else {
          result.lost++;
          if (result.missing.length < 10) result.missing.push(`${deviceId}#${seq}`);
        }
      }
    }
    return result;
  } finally {
    db.close();
  }
}
