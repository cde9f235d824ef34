import type { Store } from '../index.js';
import { SqliteAccounts } from './accounts.js';
import { SqliteAudit } from './audit.js';
import { openDatabase, type SqliteDatabase, type SqliteOptions } from './database.js';
import { DeviceKeys } from './device-keys.js';
import { SqliteAlerts } from './alerts.js';
import { SqliteFindings } from './findings.js';
import { SqliteQuarantine } from './quarantine.js';
import { SqliteRegistry } from './registry.js';
import { SqliteRuleState } from './rule-state.js';
import { SqliteTelemetry } from './telemetry.js';

export type { SqliteOptions, SqliteSynchronous } from './database.js';

export interface SqliteParts {
  store: Store;
  db: SqliteDatabase;
  keys: DeviceKeys;
}

/** The embedded store: one SQLite file in WAL mode holds everything. */
export function openSqliteStore(options: SqliteOptions): Store {
  return openSqliteParts(options).store;
}

/** The store and the database under it, for adapters that keep part of the data elsewhere (InfluxDB). */
export function openSqliteParts(options: SqliteOptions): SqliteParts {
  const db = openDatabase(options);
  const keys = new DeviceKeys(db);
  const telemetry = new SqliteTelemetry(db, keys);
  const store: Store = {
    registry: new SqliteRegistry(db),
    alerts: new SqliteAlerts(db),
    ruleState: new SqliteRuleState(db),
    telemetry,
    ingestSink: telemetry,
    quarantine: new SqliteQuarantine(db),
    findings: new SqliteFindings(db, keys),
    accounts: new SqliteAccounts(db),
    audit: new SqliteAudit(db),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
  return { store, db, keys };
}
