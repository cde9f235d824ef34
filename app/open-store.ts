import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import { checkInflux, openInfluxStore } from '../store/influx/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { Config, InfluxStoreConfig } from './config.js';
import { BacklogMonitor } from './influx-backlog.js';

const DAY = 86_400_000;

export interface OpenedStore {
  store: Store;
  /** Problems an operator should see on `/ready` while the service still works. */
  warnings(): string[];
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
  const store = openSqliteStore({ file, synchronous: config.sqlite.synchronous });
  return { store, warnings: () => [], close: () => store.close() };
}

async function openInflux(options: OpenStoreOptions, influxConfig: InfluxStoreConfig, file: string): Promise<OpenedStore> {
  const { config, metrics, clock } = options;
  const logger = options.logger.child({ component: 'influx' });
  const influx = { url: influxConfig.url, org: influxConfig.org, bucket: influxConfig.bucket, token: influxConfig.token };
  // Fail at start with a message naming what is wrong, rather than piling up an outbox for a server that will never take it.
  await checkInflux(influx);
  const store = openInfluxStore({
    sqlite: { file, synchronous: config.sqlite.synchronous },
    influx,
    clock,
    forwarder: {
      batchSize: influxConfig.batchLines,
      onError: (error, failures) => {
        metrics.influxWriteFailures.inc({ status: error.statusCode === undefined ? 'none' : String(error.statusCode) });
        // The first failure and then every tenth: an outage must not flood the log.
        if (failures === 1 || failures % 10 === 0) logger.warn({ err: error, failures }, 'InfluxDB write failed; retrying from the outbox');
      },
      onRecovered: (failures) => logger.info({ failures }, 'InfluxDB writes succeed again; replaying the outbox'),
    },
  });
  const monitor = new BacklogMonitor({ status: () => store.forwarder.status(), metrics, logger, clock, alertRows: influxConfig.backlogAlertRows });
  const forgetSeen = () => {
    const removed = store.outbox.forgetSeenBefore(clock() - influxConfig.dedupDays * DAY);
    if (removed > 0) logger.debug({ removed }, 'forgot old de-duplication keys');
  };
  forgetSeen();
  const pruner = setInterval(forgetSeen, 3_600_000);
  pruner.unref();
  logger.info({ url: influx.url, org: influx.org, bucket: influx.bucket, backlog: store.outbox.size() }, 'telemetry goes to InfluxDB through the outbox');
  return {
    store,
    warnings: () => monitor.warnings(),
    async close() {
      clearInterval(pruner);
      monitor.close();
      await store.close();
    },
  };
}
