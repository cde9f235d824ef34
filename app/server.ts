// First: the libraries below create their debug loggers when they load.
import '../observability/quiet-debug.js';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import { DeviceBroker, type BrokerAddresses } from '../broker/broker.js';
import { Ingest } from '../ingest/ingest.js';
import type { EvaluatorFactory } from '../alerts/engine.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import type { IngestSink, Store } from '../store/index.js';
import { startAlerting, type Alerting } from './alerting.js';
import { openConfiguredStore } from './open-store.js';
import type { Config } from './config.js';
import { ensureBootstrapAdmin, resolveTokenSecret } from './secrets.js';

export interface RunningServer {
  config: Readonly<Config>;
  store: Store;
  ingest: Ingest;
  alerting: Alerting;
  broker: DeviceBroker;
  api: FastifyInstance;
  metrics: Metrics;
  /** The break-glass admin token, when SK_ADMIN_TOKEN is set. */
  adminToken?: string;
  /** The bootstrap admin user and the file holding its generated password, while that file exists. */
  bootstrapAdmin?: { user: string; passwordFile: string };
  addresses: BrokerAddresses & { http: AddressInfo };
  mqttUrl: string;
  httpUrl: string;
  /** Graceful shutdown: stop accepting, flush every acknowledged write, close the store. */
  close(): Promise<void>;
}

export interface ServerOverrides {
  logger: Logger;
  clock?: () => number;
  /** Tests may drive the alert engine with their own rules. */
  createEvaluator?: EvaluatorFactory;
  /** Tests put a fault injector between ingest and the store here (a full disk, say). */
  wrapIngestSink?: (sink: IngestSink) => IngestSink;
}

const here = dirname(fileURLToPath(import.meta.url));
/** dashboard/dist, from either the sources (tsx, vitest) or the build (dist/app). */
function dashboardDir(): string {
  const fromSource = resolve(here, '..', 'dashboard', 'dist');
  return here.includes(`${join('dist', 'app')}`) ? resolve(here, '..', '..', 'dashboard', 'dist') : fromSource;
}

/**
 * The composition root: the one place that chooses adapters and wires broker →
 * ingest → store and ingest → API. `npm start`, the demo, the tests and the
 * benchmark all start the system through here.
 */
export async function startServer(config: Readonly<Config>, { logger, clock = Date.now, createEvaluator, wrapIngestSink }: ServerOverrides): Promise<RunningServer> {
  const metrics = createMetrics();
  const opened = await openConfiguredStore({ config, metrics, logger, clock });
  const { store } = opened;
  // No MQTT connection survives a restart: whoever was online must reconnect to be online again.
  const wasOnline = await store.registry.markAllOffline(clock());
  if (wasOnline > 0) logger.info({ devices: wasOnline }, 'devices marked offline at start');
  const ingest = new Ingest({
    registry: store.registry,
    sink: wrapIngestSink ? wrapIngestSink(store.ingestSink) : store.ingestSink,
    metrics,
    logger: logger.child({ component: 'ingest' }),
    clock,
    maxFutureSkewMs: config.limits.maxFutureSkewMs,
    maxLiveLagMs: config.limits.maxLiveLagMs,
    commitSpacingMs: config.ingest.commitSpacingMs,
    // Only the SQLite store prunes raw readings by this setting; InfluxDB's retention is its bucket's.
    ...(config.store.kind === 'sqlite' ? { rawRetentionMs: config.retention.rawDays * 86_400_000 } : {}),
  });
  const alerting = await startAlerting({ config, store, ingest, metrics, logger, clock, ...(createEvaluator ? { createEvaluator } : {}) });
  const brokerLogger = logger.child({ component: 'broker' });
  const broker = new DeviceBroker({
    logger: brokerLogger,
    metrics,
    clock,
    maxPacketBytes: config.limits.maxPacketBytes,
    connectTimeoutMs: config.limits.connectTimeoutMs,
    maxKeepaliveS: config.limits.maxKeepaliveS,
    admission: config.mqtt.admission,
    maxMessagesInFlight: config.mqtt.maxMessagesInFlight,
    ports: {
      authenticateDevice: (id, secret) => store.registry.authenticateDevice(id, secret),
      deliver: (message) => ingest.handle(message),
      presence: (id, online, at) => {
        ingest.setPresence(id, online, at).catch((error: unknown) => brokerLogger.error({ err: error, deviceId: id }, 'presence update failed'));
      },
    },
  });

  const scrypt = { logN: config.auth.scryptLogN, r: 8, p: 1 };
  const bootstrapAdmin = await ensureBootstrapAdmin(store.accounts, config.dataDir, scrypt, clock());
  let mqttListening = false;
  const api = await buildApi({
    store,
    feed: ingest,
    alerts: {
      feed: alerting.lifecycle,
      actions: alerting.lifecycle,
      insights: (deviceId) => alerting.engine.insights(deviceId),
      rules: alerting.rules,
    },
    metrics,
    logger,
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    auth: {
      tokenSecret: resolveTokenSecret(config.dataDir, config.auth.tokenSecret),
      lifetimes: { accessTtlMs: config.auth.accessTtlMs, refreshTtlMs: config.auth.refreshTtlMs, sessionMaxMs: config.auth.sessionMaxMs },
      scrypt,
    },
    rateLimit: { perMinute: config.auth.rateLimitPerMinute, loginPerMinute: config.auth.loginRateLimitPerMinute },
    liveRecheckMs: config.live.recheckMs,
    devices: {
      // A revoked or rotated device, or one of a deactivated site: end its session now, and let
      // ingest re-read it from the store on its next message.
      deviceChanged: (deviceId, reason) => {
        ingest.directory.forget(deviceId);
        broker.disconnect(deviceId, reason);
        // A revoked device (or one of a closed site) is no longer watched for silence; a rotated one keeps its rules.
        alerting.engine.reconfigure([deviceId]).catch((error: unknown) => logger.error({ err: error, deviceId }, 'could not update the rules of a changed device'));
      },
    },
    latest: (id) => ingest.latest.get(id),
    ready: async () => {
      if (!mqttListening) throw new Error('mqtt listener not started');
      const failingSince = ingest.storeFailingSince;
      if (failingSince !== undefined) throw new Error(`store writes failing since ${new Date(failingSince).toISOString()}; readings are not acknowledged`);
      return opened.warnings();
    },
    dashboardDir: dashboardDir(),
    liveThrottleMs: config.live.throttleMs,
    liveAlertBatchMs: config.live.alertBatchMs,
    liveAlertFramesPerSecond: config.live.alertFramesPerSecond,
    liveMaxQueuedPackets: config.live.maxQueuedPackets,
    corsOrigins: config.http.corsOrigins,
    bodyLimitBytes: config.http.bodyLimitBytes,
    clock,
  });

  try {
    const tls = config.mqtt.tls && {
      port: config.mqtt.tls.port,
      cert: readFileSync(config.mqtt.tls.certFile),
      key: readFileSync(config.mqtt.tls.keyFile),
    };
    const brokerAddresses = await broker.listen({ host: config.mqtt.host, port: config.mqtt.port, ...(tls ? { tls } : {}) });
    mqttListening = true;
    await api.listen({ host: config.http.host, port: config.http.port });
    opened.startJobs();
    // After the listeners: devices are accepted while the rules of the whole fleet are built.
    alerting.engine.watchFleet();
    const http = api.server.address() as AddressInfo;
    const addresses = { ...brokerAddresses, http };
    const hostOf = (a: AddressInfo) => (a.family === 'IPv6' ? `[${a.address}]` : a.address);

    let closing: Promise<void> | undefined;
    return {
      config,
      store,
      ingest,
      alerting,
      broker,
      api,
      metrics,
      ...(config.adminToken ? { adminToken: config.adminToken } : {}),
      ...(bootstrapAdmin ? { bootstrapAdmin } : {}),
      addresses,
      mqttUrl: `mqtt://${hostOf(brokerAddresses.mqtt)}:${brokerAddresses.mqtt.port}`,
      httpUrl: `http://${hostOf(http)}:${http.port}`,
      close() {
        closing ??= (async () => {
          await api.close();
          await broker.close();
          await ingest.close();
          await alerting.close();
          await opened.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await api.close().catch(() => undefined);
    await broker.close().catch(() => undefined);
    await alerting.close().catch(() => undefined);
    await opened.close();
    throw error;
  }
}
