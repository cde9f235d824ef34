import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TalliedCounter } from './tallied-counter.js';

/**
 * Prometheus metrics of one process, on their own registry (no global state, so
 * tests can run several servers side by side). Served at GET /metrics.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sk_' });
  const registers = [registry];
  return {
    registry,
    messagesReceived: new TalliedCounter({
      name: 'sk_messages_received_total',
      help: 'Device messages handed to ingest, by channel',
      label: 'channel',
      registers,
    }),
    readingsStored: new TalliedCounter({
      name: 'sk_readings_stored_total',
      help: 'Readings durably stored, by device kind',
      label: 'kind',
      registers,
    }),
    duplicates: new Counter({
      name: 'sk_readings_duplicate_total',
      help: 'Readings already stored (a resend: same device, boot, seq and time), acknowledged and ignored',
      registers,
    }),
    payloadsRejected: new Counter({
      name: 'sk_payloads_rejected_total',
      help: 'Payloads kept in the quarantine, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    devicesConnected: new Gauge({
      name: 'sk_devices_connected',
      help: 'Devices with an open, authenticated MQTT connection',
      registers,
    }),
    authFailures: new Counter({
      name: 'sk_mqtt_auth_failures_total',
      help: 'Refused MQTT connections, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    aclDenials: new Counter({
      name: 'sk_mqtt_acl_denials_total',
      help: 'Publishes or subscriptions outside a device\'s own topics',
      labelNames: ['action'] as const,
      registers,
    }),
    connectionsClosed: new Counter({
      name: 'sk_mqtt_connections_closed_total',
      help: 'Connections closed by the broker: a protocol or size violation, or turned away at accept (flood, ban)',
      labelNames: ['reason'] as const,
      registers,
    }),
    mqttReadsPaused: new Gauge({
      name: 'sk_mqtt_reads_paused',
      help: '1 while the broker reads no device socket: too many messages wait for a commit (SK_MQTT_MAX_IN_FLIGHT)',
      registers,
    }),
    mqttReadPauses: new Counter({
      name: 'sk_mqtt_read_pauses_total',
      help: 'Times the broker stopped reading device sockets because too many messages waited for a commit',
      registers,
    }),
    addressBans: new Counter({
      name: 'sk_mqtt_address_bans_total',
      help: 'Client addresses banned for a while after repeated failed MQTT logins',
      registers,
    }),
    storeWriteSeconds: new Histogram({
      name: 'sk_store_write_seconds',
      help: 'Duration of one group commit to the store',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    storeBatchSize: new Histogram({
      name: 'sk_store_batch_messages',
      help: 'Messages per group commit',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers,
    }),
    alertTransitions: new Counter({
      name: 'sk_alert_transitions_total',
      help: 'Alerts raised, updated and resolved, by rule and change',
      labelNames: ['rule', 'change'] as const,
      registers,
    }),
    alertsActive: new Gauge({
      name: 'sk_alerts_active',
      help: 'Alerts open or acknowledged',
      registers,
    }),
    notifications: new Counter({
      name: 'sk_notifications_total',
      help: 'Alert notifications by channel and outcome (sent, failed after retries, suppressed by cap or flapping)',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    }),
    storeFailing: new Gauge({
      name: 'sk_store_failing',
      help: '1 while group commits fail (disk full, database locked): devices get no PUBACK and resend; 0 once a commit succeeds',
      registers,
    }),
    outboxBacklogRows: new Gauge({
      name: 'sk_influx_outbox_rows',
      help: 'Readings acknowledged and waiting in the durable outbox for InfluxDB',
      registers,
    }),
    outboxOldestSeconds: new Gauge({
      name: 'sk_influx_outbox_oldest_seconds',
      help: 'Age of the oldest reading waiting in the outbox (0 when empty)',
      registers,
    }),
    outboxBacklogAlarm: new Gauge({
      name: 'sk_influx_outbox_alarm',
      help: '1 while the outbox backlog is above SK_INFLUX_BACKLOG_ALERT_ROWS',
      registers,
    }),
    influxWriteFailures: new Counter({
      name: 'sk_influx_write_failures_total',
      help: 'Writes to InfluxDB that failed and will be retried, by HTTP status (none: unreachable)',
      labelNames: ['status'] as const,
      registers,
    }),
    sqliteCheckpointSeconds: new Histogram({
      name: 'sk_sqlite_checkpoint_seconds',
      help: 'Duration of one copy of the SQLite WAL into the database file and its sync, made by the checkpointer thread',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    sqliteWalFrames: new Gauge({
      name: 'sk_sqlite_wal_frames',
      help: 'Pages (frames) in the SQLite WAL after the last checkpoint; the log starts over once past 20,000',
      registers,
    }),
    sqliteWalFramesWritten: new Counter({
      name: 'sk_sqlite_wal_frames_written_total',
      help: 'Pages (4 KiB frames) written to the SQLite WAL, as counted at each checkpoint: the disk writes the store makes, before the checkpoints copy them again',
      registers,
    }),
    sqliteWalHoldSeconds: new Histogram({
      name: 'sk_sqlite_wal_hold_seconds',
      help: 'How long durable commits waited while the WAL started over, by outcome (caught_up, or gave_up after 50 ms without a start-over)',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
      registers,
    }),
    sqliteForcedRestartSeconds: new Histogram({
      name: 'sk_sqlite_wal_forced_restart_seconds',
      help: 'Fallback WAL restarts, which hold SQLite\'s write lock (every commit waits) because the log grew to four times its limit',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    sqliteFoldSeconds: new Histogram({
      name: 'sk_sqlite_fold_seconds',
      help: 'Duration of one fold of the staged readings into the telemetry tables, from its first slice to its last drop from the log (slices of a few ms, the event loop runs between them; a timed fold spreads them over three quarters of the time its readings took to arrive)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    sqliteFoldBusySeconds: new Counter({
      name: 'sk_sqlite_fold_busy_seconds_total',
      help: 'Time the event loop spent in the slices of folds',
      registers,
    }),
    sqliteFoldedReadings: new Counter({
      name: 'sk_sqlite_folded_readings_total',
      help: 'Readings the timed folds moved from the staged log into the telemetry tables',
      registers,
    }),
    sqliteStagedReadings: new Gauge({
      name: 'sk_sqlite_staged_readings',
      help: 'Readings acknowledged and staged, not yet folded into the telemetry tables, as the last fold ended',
      registers,
    }),
    storeWriteFailures: new Counter({
      name: 'sk_store_write_failures_total',
      help: 'Group commits that failed; their messages were not acknowledged',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
