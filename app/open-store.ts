import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import { checkInflux, openInfluxStore, type ForwarderOptions } from '../store/influx/index.js';
import { getRulePack, TEMPERATURE_PROFILES, type TemperatureProfile } from '../alerts/rules/index.js';
import { openSqliteParts, type SqliteOptions, type SqliteStoreOptions, type TemperatureBand } from '../store/sqlite/index.js';
import type { Config, InfluxStoreConfig } from './config.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../contracts/index.js';
import { BacklogMonitor } from './influx-backlog.js';
import { StoreUpkeep, type UpkeepJob } from './store-upkeep.js';

/** How often old de-duplication keys are forgotten: often, so each run has few rows to delete. */
const FORGET_SEEN_EVERY_MS = 5 * MINUTE_MS;

export interface OpenedStore {
  store: Store;
  /** Problems an operator should see on `/ready` while the service still works. */
  warnings(): string[];
  /** Starts the background jobs (rollups, pruning); called once the server listens, so start-up never waits for them. */
  startJobs(): void;
  /** Stops background jobs, then closes the store. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  config: Readonly<Config>;
  metrics: Metrics;
  logger: Logger;
  clock: () => number;
}

/** Opens the store the configuration selects (SQLite by default) with its background jobs. */
export async function openConfiguredStore(options: OpenStoreOptions): Promise<OpenedStore> {
  const { config } = options;
  const file = join(config.dataDir, 'sunshine-kitchen.db');
  if (config.store.kind === 'influx') return openInflux(options, config.store, file);
  return openSqlite(options, file);
}

/** Time in range is measured against the active rule pack's limits for the device's profile (site and device overrides aside). */
function bandsOf(packId: string): (profile: string) => TemperatureBand | undefined {
  const limits = getRulePack(packId).settings.temperature;
  return (profile) => {
    if (!(TEMPERATURE_PROFILES as readonly string[]).includes(profile)) return undefined;
    const l = limits[profile as TemperatureProfile];
    return { minC: l.minC?.value ?? null, maxC: l.maxC?.value ?? null };
  };
}

function openSqlite(options: OpenStoreOptions, file: string): OpenedStore {
  const { config, clock } = options;
  const logger = options.logger.child({ component: 'retention' });
  const { store, rollups } = openSqliteParts({
    file,
    synchronous: config.sqlite.synchronous,
    onSchemaChange: schemaChangeLog(options.logger),
    checkpoints: checkpointReports(options),
    staging: { ...foldReports(options), foldPerDevice: config.sqlite.foldPerDevice, foldWithinMs: config.sqlite.foldWithinMs },
    rollups: { bandOf: bandsOf(config.alerts.rulePack) },
  });
  // Off the ingest path: the rollup job reads what ingest committed since its last run.
  const upkeep = new StoreUpkeep(
    [
      { name: 'rollup', everyMs: config.retention.rollupIntervalMs, work: () => rollups.catchUp() },
      {
        name: 'prune',
        everyMs: HOUR_MS,
        atStart: true,
        work: async () => {
          const removed = await rollups.prune(clock(), config.retention);
          if (removed.raw + removed.rollups > 0) logger.info(removed, 'pruned telemetry past its retention');
        },
      },
    ],
    logger,
  );
  return {
    store,
    warnings: () => [],
    startJobs: () => upkeep.start(),
    async close() {
      const idle = upkeep.close();
      // Closing the store stops a rollup or prune under way after its current slice.
      await store.close();
      await idle;
    },
  };
}

async function openInflux(options: OpenStoreOptions, influxConfig: InfluxStoreConfig, file: string): Promise<OpenedStore> {
  const { config, metrics, clock } = options;
  const logger = options.logger.child({ component: 'influx' });
  const influx = { url: influxConfig.url, org: influxConfig.org, bucket: influxConfig.bucket, token: influxConfig.token };
  // Fail at start with a message naming what is wrong, rather than piling up an outbox for a server that will never take it.
  await checkInflux(influx);
  const store = openInfluxStore({
    sqlite: { file, synchronous: config.sqlite.synchronous, onSchemaChange: schemaChangeLog(options.logger), checkpoints: checkpointReports(options) },
    influx,
    clock,
    forwarder: {
      batchSize: influxConfig.batchLines,
      onError: (error, failures) => {
        metrics.influxWriteFailures.inc({ status: error.statusCode === undefined ? 'none' : String(error.statusCode) });
        // The first failure and then every tenth: an outage must not flood the log.
        if (failures === 1 || failures % 10 === 0) logger.warn({ err: error, failures }, 'InfluxDB write failed; retrying from the outbox');
      },
      onSetAside: refusedLog(logger, clock),
      onOutboxError: (error, failures) => {
        if (failures === 1 || failures % 10 === 0) logger.error({ err: error, failures }, 'the outbox cannot be read or updated; the forwarder retries');
      },
      onRecovered: (failures) => logger.info({ failures }, 'InfluxDB writes succeed again; replaying the outbox'),
    },
  });
  const monitor = new BacklogMonitor({ status: () => store.forwarder.status(), metrics, logger, clock, alertRows: influxConfig.backlogAlertRows });
  let closing = false;
  /** A job that deletes outbox bookkeeping older than `days`, in chunks, stopping when the store closes. */
  const forgetting = (name: string, everyMs: number, days: number, forget: typeof store.outbox.forgetSeenBefore, what: string): UpkeepJob => ({
    name,
    everyMs,
    atStart: true,
    work: async () => {
      const removed = await forget.call(store.outbox, clock() - days * DAY_MS, { stopped: () => closing });
      if (removed > 0) logger.info({ removed }, what);
    },
  });
  const upkeep = new StoreUpkeep(
    [
      forgetting('forget-seen', FORGET_SEEN_EVERY_MS, influxConfig.dedupDays, store.outbox.forgetSeenBefore, 'forgot old de-duplication keys'),
      forgetting('forget-refused', HOUR_MS, influxConfig.refusedDays, store.outbox.forgetRefusedBefore, 'deleted refused lines past SK_INFLUX_REFUSED_DAYS'),
    ],
    logger,
  );
  logger.info({ url: influx.url, org: influx.org, bucket: influx.bucket, backlog: store.outbox.size() }, 'telemetry goes to InfluxDB through the outbox');
  return {
    store,
    warnings: () => monitor.warnings(),
    startJobs: () => upkeep.start(),
    async close() {
      closing = true;
      await upkeep.close();
      monitor.close();
      await store.close();
    },
  };
}

/** One-off schema rebuilds at open can take a minute on a large file: say what happened. */
function schemaChangeLog(logger: Logger): NonNullable<SqliteOptions['onSchemaChange']> {
  return (change) => logger.child({ component: 'store' }).warn(change, 'SQLite schema migrated (once)');
}

/**
 * The checkpointer's work goes to the metrics: what each copy costs, how long
 * commits wait while the WAL starts over, and the fallback restarts that stop
 * them outright. A failed checkpointer worker is logged; the store goes on
 * checkpointing in its commits.
 */
export function checkpointReports({ logger, metrics }: Pick<OpenStoreOptions, 'logger' | 'metrics'>): NonNullable<SqliteStoreOptions['checkpoints']> {
  const log = logger.child({ component: 'store' });
  // The WAL's frames at the previous copy: fewer now means the log started over in between, and all of them are new.
  let framesBefore = 0;
  return {
    onError: (error) => log.error({ err: error }, 'SQLite WAL checkpointer failed; checkpoints run in ingest commits again'),
    onCopy: ({ seconds, walFrames }) => {
      metrics.sqliteCheckpointSeconds.observe(seconds);
      metrics.sqliteWalFrames.set(walFrames);
      metrics.sqliteWalFramesWritten.inc(walFrames >= framesBefore ? walFrames - framesBefore : walFrames);
      framesBefore = walFrames;
    },
    onHold: ({ seconds, caughtUp }) => metrics.sqliteWalHoldSeconds.observe({ outcome: caughtUp ? 'caught_up' : 'gave_up' }, seconds),
    onForcedRestart: (seconds) => {
      metrics.sqliteForcedRestartSeconds.observe(seconds);
      log.warn({ seconds }, 'the SQLite WAL grew to four times its limit and was restarted under the write lock; commits waited meanwhile');
    },
  };
}

/** What the folds of staged readings move and cost goes to the metrics; a failed fold is logged (its readings stay staged for the next). */
export function foldReports({ logger, metrics }: Pick<OpenStoreOptions, 'logger' | 'metrics'>): NonNullable<SqliteStoreOptions['staging']> {
  const log = logger.child({ component: 'store' });
  return {
    onFold: ({ seconds, busySeconds, readings, staged }) => {
      metrics.sqliteFoldSeconds.observe(seconds);
      metrics.sqliteFoldBusySeconds.inc(busySeconds);
      metrics.sqliteFoldedReadings.inc(readings);
      metrics.sqliteStagedReadings.set(staged);
    },
    onError: (error) => log.error({ err: error }, 'a fold of staged readings into the telemetry tables failed; they stay staged and the next fold tries again'),
  };
}

/**
 * Logs lines InfluxDB refuses (set aside in telemetry_outbox_refused) at most once
 * a minute, with how many were refused since the last report: points beyond the
 * bucket's retention (422) come by the thousand after a long outage.
 */
function refusedLog(logger: Logger, clock: () => number): NonNullable<ForwarderOptions['onSetAside']> {
  let since = 0;
  let loggedAt = -Infinity;
  return (row, error) => {
    since++;
    if (clock() - loggedAt < MINUTE_MS) return;
    logger.error({ err: error, outboxId: row.id, line: row.line, refused: since }, 'InfluxDB refuses readings on their own (this line and the count since the last report); kept in telemetry_outbox_refused');
    loggedAt = clock();
    since = 0;
  };
}
