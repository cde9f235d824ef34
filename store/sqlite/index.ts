import type { Store } from '../index.js';
import { SqliteAccounts } from './accounts.js';
import { SqliteAudit } from './audit.js';
import { openDatabase, type SqliteOptions } from './database.js';
import { DeviceKeys } from './device-keys.js';
import { SqliteAlerts } from './alerts.js';
import { SqliteFindings } from './findings.js';
import { SqliteOverview } from './overview.js';
import { SqliteQuarantine } from './quarantine.js';
import { SqliteRegistry } from './registry.js';
import { SqliteRuleState } from './rule-state.js';
import { SqliteTelemetry } from './telemetry.js';

export type { SqliteOptions, SqliteSynchronous } from './database.js';

/** The embedded store: one SQLite file in WAL mode holds everything. */
export function openSqliteStore(options: SqliteOptions): Store {
  const db = openDatabase(options);
  const keys = new DeviceKeys(db);
  const telemetry = new SqliteTelemetry(db, keys);
  return {
    registry: new SqliteRegistry(db),
    alerts: new SqliteAlerts(db),
    overview: new SqliteOverview(db),
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
}
