import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import type { Alert, AlertChange, ClientToServerEvents, DeviceKind, DeviceProfile, Role, Scope, ServerToClientEvents, TokenResponse } from '../../contracts/index.js';
import { hashPassword } from '../../api/accounts/passwords.js';
import { loadConfig } from '../../app/config.js';
import { startServer, type RunningServer, type ServerOverrides } from '../../app/server.js';
import { createLogger } from '../../observability/logger.js';
import { demoPlan } from '../../simulators/demo-plan.js';
import type { FleetDevice } from '../../simulators/fleet.js';
import { provisionDemoPlan as provisionPlan } from '../../app/provision-demo.js';
import { generateDeviceSecret } from '../../store/device-credentials.js';

/** A logged-in user of a test server. */
export interface TestUser {
  id: string;
  role: Role;
  scope: Scope;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `{ authorization: 'Bearer …' }` for `server.api.inject`. */
  headers: { authorization: string };
}

export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** The break-glass admin token (SK_ADMIN_TOKEN), always set in tests. */
  adminToken: string;
  /** Creates a user in the store (password {@link TEST_PASSWORD} unless given); no login. */
  createUser(user: { id?: string; role: Role; scope?: Scope; password?: string }): Promise<{ id: string; password: string }>;
  /** Logs in over the API; throws with the status and body if refused. */
  login(id: string, password?: string): Promise<TokenResponse>;
  /** Creates a user of this role and scope and logs in: the usual way for a test to act as someone. */
  userAs(role: Role, scope?: Scope, id?: string): Promise<TestUser>;
  /** Registers region → site → device and returns the device's credentials. */
  provision(device?: Partial<{ id: string; siteId: string; kind: DeviceKind; profile: DeviceProfile }>): Promise<{ id: string; secret: string; siteId: string }>;
  stop(): Promise<void>;
}

/** A real server on 127.0.0.1, port 0, with its SQLite file in a fresh temp dir. */
export async function startTestServer(
  env: Record<string, string> = {},
  dataDir = mkdtempSync(join(tmpdir(), 'sk-test-')),
  /** What the test changes in the server; a logger of its own reads what the server logs (by default one at the config's level, silent). */
  overrides: Partial<ServerOverrides> = {},
): Promise<TestServer> {
  const config = loadConfig({
    SK_DATA_DIR: dataDir,
    SK_HTTP_PORT: '0',
    SK_MQTT_PORT: '0',
    SK_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    SK_LOG_LEVEL: 'silent',
    SK_SQLITE_SYNCHRONOUS: 'normal',
    SK_LIVE_THROTTLE_MS: '0',
    // Alert changes leave in the event-loop turn after they happen: a test's socket.io ack is a barrier behind them.
    SK_LIVE_ALERT_BATCH_MS: '0',
    // Tests replay hours of synthetic history as live readings; the clock_behind rule has its own test.
    SK_MAX_LIVE_LAG_MS: '0',
    // Cheap password hashes (2^10) and no rate limits, so tests can log in often; tests of those set their own.
    SK_PASSWORD_SCRYPT_LOG_N: '10',
    SK_RATE_LIMIT_PER_MINUTE: '1000000',
    SK_LOGIN_RATE_LIMIT_PER_MINUTE: '1000000',
    SK_LIVE_RECHECK_MS: '50',
    ...env,
  });
  const clock = overrides.clock ?? Date.now;
  const server = await startServer(config, { logger: createLogger(config.logLevel), ...overrides, clock });
  let devices = 0;
  let users = 0;
  const hashes = new Map<string, Promise<string>>();
  const hashOf = (password: string) => {
    if (!hashes.has(password)) hashes.set(password, hashPassword(password, { logN: config.auth.scryptLogN, r: 8, p: 1 }));
    return hashes.get(password)!;
  };
  const defaultScope = (role: Role): Scope => (role === 'admin' ? { kind: 'all' } : role === 'supervisor' ? { kind: 'region', regionId: 'city' } : { kind: 'sites', siteIds: [] });
  const helpers = {
    async createUser(user: { id?: string; role: Role; scope?: Scope; password?: string }) {
      const id = user.id ?? `${user.role}-${++users}`;
      const password = user.password ?? TEST_PASSWORD;
      await server.store.accounts.createUser({ id, displayName: id, role: user.role, scope: user.scope ?? defaultScope(user.role), passwordHash: await hashOf(password), at: clock() });
      return { id, password };
    },
    async login(id: string, password = TEST_PASSWORD): Promise<TokenResponse> {
      const res = await server.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: id, password } });
      if (res.statusCode !== 200) throw new Error(`login of ${id} refused: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    async userAs(role: Role, scope: Scope = defaultScope(role), id?: string): Promise<TestUser> {
      const created = await helpers.createUser({ role, scope, ...(id ? { id } : {}) });
      const tokens = await helpers.login(created.id, created.password);
      return { id: created.id, role, scope, password: created.password, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, headers: { authorization: `Bearer ${tokens.accessToken}` } };
    },
  };
  return Object.assign(server, helpers, {
    adminToken: config.adminToken!,
    dataDir,
    async provision(device: Partial<{ id: string; siteId: string; kind: DeviceKind; profile: DeviceProfile }> = {}) {
      const { registry } = server.store;
      await registry.upsertRegion({ id: 'city', name: '阳光市', level: 'city', parentId: null });
      await registry.upsertRegion({ id: 'district-a', name: '东区', level: 'district', parentId: 'city' });
      await registry.upsertRegion({ id: 'town-a1', name: '东一镇', level: 'township', parentId: 'district-a' });
      const siteId = device.siteId ?? 'site-1';
      await registry.upsertSite({ id: siteId, name: `餐厅 ${siteId}`, regionId: 'town-a1' });
      const id = device.id ?? `dev-${++devices}`;
      const secret = generateDeviceSecret();
      const kind = device.kind ?? 'temperature';
      const profile = device.profile ?? (kind === 'temperature' ? 'chilled' : kind);
      await registry.createDevice({ id, siteId, kind, label: id, profile, expectedIntervalS: 30 }, secret, (overrides.clock ?? Date.now)());
      return { id, secret, siteId };
    },
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** A device's MQTT client, connected (or refused) before it resolves. */
export function connectDevice(url: string, id: string, secret: string, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { clientId: id, username: id, password: secret, keepalive: 30, reconnectPeriod: 0, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}

export type DashboardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function connectDashboard(url: string, token: string): Promise<DashboardSocket> {
  return new Promise((resolve, reject) => {
    const socket: DashboardSocket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Calls `handler` with each alert of this kind in the `alerts` batches the socket receives, in order. */
export function onAlert(socket: DashboardSocket, event: AlertChange['event'], handler: (alert: Alert) => void): void {
  socket.on('alerts', (changes) => {
    for (const change of changes) if (change.event === event) handler(change.alert);
  });
}

export function reading(seq: number, values: Record<string, number | boolean> = { temperatureC: 4.2 }, ts = Date.now(), boot = 'boot-1') {
  return JSON.stringify({ ts, seq, boot, ...values });
}

/** Registers a demo jurisdiction (simulators/demo-plan.ts) and returns its devices with fresh secrets. */
export function provisionDemoPlan(target: RunningServer, options: { seed: number; sites: number }): Promise<FleetDevice[]> {
  return provisionPlan(target.store.registry, demoPlan(options));
}

/**
 * A clock that runs `factor` times faster than real time from `start`: server and
 * simulated devices share it, so hours of simulated kitchen pass in seconds while
 * every component still sees one consistent time.
 */
export function warpedClock(start: number, factor: number): () => number {
  const realStart = Date.now();
  return () => start + Math.round((Date.now() - realStart) * factor);
}
