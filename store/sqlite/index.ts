import type { Store } from '../index.js';
import { SqliteAccounts } from './accounts.js';
import { SqliteAudit } from './audit.js';
import { WalCheckpointer, type CheckpointerOptions } from './checkpointer.js';
import { openDatabase, type SqliteDatabase, type SqliteOptions } from './database.js';
import { DurableCommits } from './durable-commits.js';
import { DeviceKeys } from './device-keys.js';
import { SqliteAlerts } from './alerts.js';
import { SqliteFindings } from './findings.js';
import { SqliteOverview } from './overview.js';
import { SqliteQuarantine } from './quarantine.js';
import { SqliteRegistry } from './registry.js';
import { SqliteRuleState } from './rule-state.js';
import { Rollups, type RollupOptions } from './rollups.js';
import { StagedReadings, type StagedReadingsOptions } from './staged-readings.js';
import { SqliteTelemetry } from './telemetry.js';

export type { SqliteOptions, SqliteSynchronous } from './database.js';
export { Rollups, type HourlyRollup, type RollupOptions, type TemperatureBand } from './rollups.js';
export type { FoldReport, StagedReadingsOptions } from './staged-readings.js';

export interface SqliteParts {
  store: Store;
  db: SqliteDatabase;
  keys: DeviceKeys;
  /** Hourly rollups of the telemetry; the owner runs {@link Rollups.run} and {@link Rollups.prune} on a timer; closing the store stops them. */
  rollups: Rollups;
  /** Transactions whose promise resolves once they are durable (the ingest sinks use it). */
  commits: DurableCommits;
  /** Readings acknowledged and not yet folded into the telemetry tables; folds run when due until the store closes, which folds the rest. */
  staged: StagedReadings;
}

export interface SqliteStoreOptions extends SqliteOptions {
  rollups?: RollupOptions;
  /** WAL checkpoints in a worker thread (file databases only). */
  checkpoints?: CheckpointerOptions;
  /** How staged readings are folded into the telemetry tables. */
  staging?: StagedReadingsOptions;
}

/** The embedded store: one SQLite file in WAL mode holds everything. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  return openSqliteParts(options).store;
}

/** The store and the database under it, for adapters that keep part of the data elsewhere (InfluxDB). */
export function openSqliteParts(options: SqliteStoreOptions): SqliteParts {
  const db = openDatabase(options);
  const commits = new DurableCommits(db, { file: options.file, synchronous: options.synchronous ?? 'full' });
  const checkpointer = options.file === ':memory:' ? undefined : new WalCheckpointer(db, options.file, commits, options.checkpoints);
  const keys = new DeviceKeys(db);
  const staged = new StagedReadings(db, commits, options.staging);
  const rollups = new Rollups(db, options.rollups, staged);
  const telemetry = new SqliteTelemetry(db, keys, commits, staged, rollups);
  staged.start();
  const store: Store = {
    registry: new SqliteRegistry(db, commits),
    alerts: new SqliteAlerts(db, commits),
    overview: new SqliteOverview(db),
    ruleState: new SqliteRuleState(db, commits),
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
      await rollups.stop();
      await staged.drain();
      await checkpointer?.close();
      await commits.close();
      if (db.open) db.close();
    },
  };
  return { store, db, keys, rollups, commits, staged };
}
