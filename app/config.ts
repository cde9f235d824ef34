import { z } from 'zod';
import type { RetryPolicy } from '../alerts/notifiers/dispatcher.js';
import type { AlertPolicy } from '../alerts/policy.js';
import { RULE_PACK_IDS } from '../alerts/rules/index.js';

const MINUTE = 60_000;

const port = z.coerce.number().int().min(0).max(65_535);
const list = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

/**
 * Every setting, from the environment. The only module that reads `process.env`;
 * `.env.example` documents each key.
 */
const configSchema = z
  .object({
    SK_DATA_DIR: z.string().min(1).default('./data'),
    SK_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    SK_HTTP_PORT: port.default(8080),
    SK_MQTT_HOST: z.string().min(1).default('127.0.0.1'),
    SK_MQTT_PORT: port.default(1883),
    SK_MQTTS_PORT: port.default(8883),
    SK_TLS_CERT_FILE: z.string().min(1).optional(),
    SK_TLS_KEY_FILE: z.string().min(1).optional(),
    SK_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
    SK_AUTH_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    SK_ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(30).max(3_600).default(900),
    SK_REFRESH_TOKEN_TTL_S: z.coerce.number().int().min(300).max(30 * 86_400).default(12 * 3_600),
    SK_SESSION_MAX_S: z.coerce.number().int().min(300).max(90 * 86_400).default(7 * 86_400),
    SK_PASSWORD_SCRYPT_LOG_N: z.coerce.number().int().min(10).max(20).default(15),
    SK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
    SK_LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(20),
    SK_LIVE_RECHECK_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
    SK_SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default('full'),
    SK_SQLITE_FOLD_PER_DEVICE: z.coerce.number().min(1).max(10_000).default(8),
    SK_SQLITE_FOLD_WITHIN_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    SK_COMMIT_SPACING_MS: z.coerce.number().min(0).max(1_000).default(2),
    SK_MAX_PACKET_BYTES: z.coerce.number().int().min(1_024).max(16 * 1024 * 1024).default(256 * 1024),
    SK_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
    SK_MAX_KEEPALIVE_S: z.coerce.number().int().min(10).max(65_535).default(1_200),
    SK_MQTT_MAX_PENDING_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(64),
    SK_MQTT_MAX_PENDING: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
    SK_MQTT_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000_000).default(4_000),
    SK_MQTT_LOGIN_FAILURE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(20),
    SK_MQTT_BAN_DISTINCT_IDS: z.coerce.number().int().min(1).max(100_000).default(10),
    SK_MQTT_BAN_S: z.coerce.number().int().min(0).max(86_400).default(600),
    SK_MAX_FUTURE_SKEW_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
    SK_MAX_LIVE_LAG_MS: z.coerce.number().int().min(0).max(30 * 86_400_000).default(3_600_000),
    SK_LIVE_THROTTLE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    SK_LIVE_ALERT_BATCH_MS: z.coerce.number().int().min(0).max(10_000).default(25),
    SK_LIVE_ALERT_FRAMES_PER_S: z.coerce.number().positive().max(10_000_000).default(20_000),
    SK_LIVE_MAX_QUEUED: z.coerce.number().int().min(10).max(1_000_000).default(1_000),
    SK_HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).max(10 * 1024 * 1024).default(64 * 1024),
    SK_CORS_ORIGINS: list,
    SK_RULE_PACK: z.enum(RULE_PACK_IDS).default('cn-catering'),
    SK_ALERT_TICK_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
    SK_ALERT_STATE_FLUSH_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
    SK_ALERT_RESTING_STATE_SAVE_MS: z.coerce.number().int().min(0).max(3_600_000).default(300_000),
    SK_ALERT_ESCALATE_DISTRICT_MIN: z.coerce.number().min(0).max(10_080).default(30),
    SK_ALERT_ESCALATE_CITY_MIN: z.coerce.number().min(0).max(10_080).default(120),
    SK_ALERT_REMINDER_MIN: z.coerce.number().min(1).max(10_080).default(60),
    SK_ALERT_MAX_NOTIFICATIONS: z.coerce.number().int().min(0).max(1_000).default(6),
    SK_ALERT_FLAP_RAISES: z.coerce.number().int().min(2).max(100).default(4),
    SK_ALERT_FLAP_WINDOW_MIN: z.coerce.number().min(1).max(10_080).default(60),
    SK_ALERT_FLAP_QUIET_MIN: z.coerce.number().min(0).max(10_080).default(30),
    SK_WEBHOOK_URLS: list.pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be http(s) URLs, comma-separated' }))),
    SK_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    SK_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    SK_WEBHOOK_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
    SK_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).max(600_000).default(2_000),
    SK_STORE: z.enum(['sqlite', 'influx']).default('sqlite'),
    SK_INFLUX_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    SK_INFLUX_ORG: z.string().min(1).optional(),
    SK_INFLUX_BUCKET: z.string().min(1).optional(),
    SK_INFLUX_TOKEN: z.string().min(1).optional(),
    SK_INFLUX_BATCH_LINES: z.coerce.number().int().min(1).max(100_000).default(5_000),
    SK_INFLUX_BACKLOG_ALERT_ROWS: z.coerce.number().int().min(1).default(100_000),
    SK_INFLUX_DEDUP_DAYS: z.coerce.number().min(1).max(3_650).default(2),
    SK_INFLUX_REFUSED_DAYS: z.coerce.number().min(1).max(3_650).default(30),
    // Two years: cold-chain temperature records are commonly kept that long (issue 6; confirm against the local rule).
    SK_RAW_RETENTION_DAYS: z.coerce.number().min(1).max(36_500).default(730),
    SK_ROLLUP_RETENTION_DAYS: z.coerce.number().min(1).max(36_500).default(3_650),
    SK_ROLLUP_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(300),
    SK_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((c) => c.SK_ALERT_ESCALATE_CITY_MIN >= c.SK_ALERT_ESCALATE_DISTRICT_MIN, {
    message: 'the city is told no earlier than the district',
    path: ['SK_ALERT_ESCALATE_CITY_MIN'],
  })
  .refine((c) => c.SK_ROLLUP_RETENTION_DAYS >= c.SK_RAW_RETENTION_DAYS, {
    message: 'hourly rollups are kept at least as long as raw readings',
    path: ['SK_ROLLUP_RETENTION_DAYS'],
  })
  .superRefine((c, ctx) => {
    if (c.SK_STORE !== 'influx') return;
    for (const key of ['SK_INFLUX_URL', 'SK_INFLUX_ORG', 'SK_INFLUX_BUCKET', 'SK_INFLUX_TOKEN'] as const) {
      if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required with SK_STORE=influx' });
    }
  })
  .refine((c) => Boolean(c.SK_TLS_CERT_FILE) === Boolean(c.SK_TLS_KEY_FILE), {
    message: 'set both SK_TLS_CERT_FILE and SK_TLS_KEY_FILE, or neither',
    path: ['SK_TLS_CERT_FILE'],
  });

export interface Config {
  dataDir: string;
  http: { host: string; port: number; bodyLimitBytes: number; corsOrigins: string[] };
  mqtt: {
    host: string;
    port: number;
    tls?: { port: number; certFile: string; keyFile: string };
    /** Device messages between PUBLISH and PUBACK at which the broker stops reading sockets (broker/read-gate.ts). */
    maxMessagesInFlight: number;
    /** Connect-flood and brute-force limits per client address (broker/address-guard.ts). */
    admission: { maxPendingPerAddress: number; maxPending: number; failureLimit: number; distinctIdLimit: number; failureWindowMs: number; banMs: number; maxTracked: number };
  };
  /** Break-glass admin bearer token; none unless set. */
  adminToken?: string;
  auth: {
    tokenSecret?: string;
    accessTtlMs: number;
    refreshTtlMs: number;
    sessionMaxMs: number;
    scryptLogN: number;
    rateLimitPerMinute: number;
    loginRateLimitPerMinute: number;
  };
  /** When staged readings are folded into the telemetry tables: `foldPerDevice` readings a device on average, or `foldWithinMs` after the first (store/sqlite/staged-readings.ts). */
  sqlite: { synchronous: 'full' | 'normal'; foldPerDevice: number; foldWithinMs: number };
  /** Least time between the starts of two group commits while messages keep coming (ingest/group-commit.ts). */
  ingest: { commitSpacingMs: number };
  /** Where telemetry goes; everything else is always in SQLite. */
  store: SqliteStoreConfig | InfluxStoreConfig;
  /** SQLite telemetry: raw readings and hourly rollups, and how long each is kept. */
  retention: { rawDays: number; rollupDays: number; rollupIntervalMs: number };
  limits: { maxPacketBytes: number; connectTimeoutMs: number; maxKeepaliveS: number; maxFutureSkewMs: number; maxLiveLagMs: number };
  live: { throttleMs: number; alertBatchMs: number; alertFramesPerSecond: number; recheckMs: number; maxQueuedPackets: number };
  alerts: {
    rulePack: string;
    tickMs: number;
    stateFlushMs: number;
    restingStateSaveMs: number;
    policy: AlertPolicy;
    webhook: { urls: string[]; secret?: string; timeoutMs: number; retry: RetryPolicy };
  };
  logLevel: string;
}

export interface SqliteStoreConfig {
  kind: 'sqlite';
}

export interface InfluxStoreConfig {
  kind: 'influx';
  url: string;
  org: string;
  bucket: string;
  token: string;
  batchLines: number;
  /** An admin is alerted (error log, metric, /ready warning) when the outbox holds this many rows. */
  backlogAlertRows: number;
  /** How long accepted (device, boot, seq) keys are remembered to recognise resends. */
  dedupDays: number;
  /** How long lines InfluxDB refused stay in telemetry_outbox_refused for an operator to look at. */
  refusedDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once; throws one {@link ConfigError} listing every bad key. */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const c = parsed.data;
  const config: Config = {
    dataDir: c.SK_DATA_DIR,
    http: { host: c.SK_HTTP_HOST, port: c.SK_HTTP_PORT, bodyLimitBytes: c.SK_HTTP_BODY_LIMIT_BYTES, corsOrigins: c.SK_CORS_ORIGINS },
    mqtt: {
      host: c.SK_MQTT_HOST,
      port: c.SK_MQTT_PORT,
      ...(c.SK_TLS_CERT_FILE && c.SK_TLS_KEY_FILE ? { tls: { port: c.SK_MQTTS_PORT, certFile: c.SK_TLS_CERT_FILE, keyFile: c.SK_TLS_KEY_FILE } } : {}),
      maxMessagesInFlight: c.SK_MQTT_MAX_IN_FLIGHT,
      admission: {
        maxPendingPerAddress: c.SK_MQTT_MAX_PENDING_PER_ADDRESS,
        maxPending: c.SK_MQTT_MAX_PENDING,
        failureLimit: c.SK_MQTT_LOGIN_FAILURE_LIMIT,
        distinctIdLimit: c.SK_MQTT_BAN_DISTINCT_IDS,
        // Failures are counted over as long a window as the ban lasts (at least a minute).
        failureWindowMs: Math.max(60, c.SK_MQTT_BAN_S) * 1_000,
        banMs: c.SK_MQTT_BAN_S * 1_000,
        maxTracked: 10_000,
      },
    },
    ...(c.SK_ADMIN_TOKEN ? { adminToken: c.SK_ADMIN_TOKEN } : {}),
    auth: {
      ...(c.SK_AUTH_TOKEN_SECRET ? { tokenSecret: c.SK_AUTH_TOKEN_SECRET } : {}),
      accessTtlMs: c.SK_ACCESS_TOKEN_TTL_S * 1_000,
      refreshTtlMs: c.SK_REFRESH_TOKEN_TTL_S * 1_000,
      sessionMaxMs: c.SK_SESSION_MAX_S * 1_000,
      scryptLogN: c.SK_PASSWORD_SCRYPT_LOG_N,
      rateLimitPerMinute: c.SK_RATE_LIMIT_PER_MINUTE,
      loginRateLimitPerMinute: c.SK_LOGIN_RATE_LIMIT_PER_MINUTE,
    },
    sqlite: { synchronous: c.SK_SQLITE_SYNCHRONOUS, foldPerDevice: c.SK_SQLITE_FOLD_PER_DEVICE, foldWithinMs: c.SK_SQLITE_FOLD_WITHIN_MS },
    ingest: { commitSpacingMs: c.SK_COMMIT_SPACING_MS },
    store:
      c.SK_STORE === 'influx'
        ? {
            kind: 'influx',
            url: c.SK_INFLUX_URL!,
            org: c.SK_INFLUX_ORG!,
            bucket: c.SK_INFLUX_BUCKET!,
            token: c.SK_INFLUX_TOKEN!,
            batchLines: c.SK_INFLUX_BATCH_LINES,
            backlogAlertRows: c.SK_INFLUX_BACKLOG_ALERT_ROWS,
            dedupDays: c.SK_INFLUX_DEDUP_DAYS,
            refusedDays: c.SK_INFLUX_REFUSED_DAYS,
          }
        : { kind: 'sqlite' },
    retention: { rawDays: c.SK_RAW_RETENTION_DAYS, rollupDays: c.SK_ROLLUP_RETENTION_DAYS, rollupIntervalMs: c.SK_ROLLUP_INTERVAL_S * 1_000 },
    limits: {
      maxPacketBytes: c.SK_MAX_PACKET_BYTES,
      connectTimeoutMs: c.SK_CONNECT_TIMEOUT_MS,
      maxKeepaliveS: c.SK_MAX_KEEPALIVE_S,
      maxFutureSkewMs: c.SK_MAX_FUTURE_SKEW_MS,
      maxLiveLagMs: c.SK_MAX_LIVE_LAG_MS,
    },
    live: { throttleMs: c.SK_LIVE_THROTTLE_MS, alertBatchMs: c.SK_LIVE_ALERT_BATCH_MS, alertFramesPerSecond: c.SK_LIVE_ALERT_FRAMES_PER_S, recheckMs: c.SK_LIVE_RECHECK_MS, maxQueuedPackets: c.SK_LIVE_MAX_QUEUED },
    alerts: {
      rulePack: c.SK_RULE_PACK,
      tickMs: c.SK_ALERT_TICK_MS,
      stateFlushMs: c.SK_ALERT_STATE_FLUSH_MS,
      restingStateSaveMs: c.SK_ALERT_RESTING_STATE_SAVE_MS,
      policy: {
        escalateToDistrictAfterMs: c.SK_ALERT_ESCALATE_DISTRICT_MIN * MINUTE,
        escalateToCityAfterMs: c.SK_ALERT_ESCALATE_CITY_MIN * MINUTE,
        reminderEveryMs: c.SK_ALERT_REMINDER_MIN * MINUTE,
        maxNotificationsPerAlert: c.SK_ALERT_MAX_NOTIFICATIONS,
        flapRaises: c.SK_ALERT_FLAP_RAISES,
        flapWindowMs: c.SK_ALERT_FLAP_WINDOW_MIN * MINUTE,
        flapQuietMs: c.SK_ALERT_FLAP_QUIET_MIN * MINUTE,
      },
      webhook: {
        urls: c.SK_WEBHOOK_URLS,
        ...(c.SK_WEBHOOK_SECRET ? { secret: c.SK_WEBHOOK_SECRET } : {}),
        timeoutMs: c.SK_WEBHOOK_TIMEOUT_MS,
        retry: { attempts: c.SK_WEBHOOK_RETRY_ATTEMPTS, baseDelayMs: c.SK_WEBHOOK_RETRY_BASE_MS, maxDelayMs: 5 * 60_000 },
      },
    },
    logLevel: c.SK_LOG_LEVEL,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
