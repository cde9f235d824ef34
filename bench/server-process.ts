/**
 * Bench child: the real sunshine-kitchen server (startServer, the same
 * composition root `npm start` uses) on 127.0.0.1, ephemeral ports, its SQLite
 * file in the data dir the orchestrator gives it. Provisions the bench devices,
 * then answers snapshot requests until told to close.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../app/config.js';
import { startServer, type RunningServer } from '../app/server.js';
import { createLogger } from '../observability/logger.js';
import { generateDeviceSecret } from '../store/device-credentials.js';
import { sampleProcess, sendToParent, type DeviceCredentials, type ServerMessage, type ServerRequest, type ServerSnapshot, type ServerSpec } from './protocol.js';

const send = (m: ServerMessage) => sendToParent(m);

/** Five devices per food-service unit, as domain.md plans for. */
const DEVICES_PER_SITE = 5;

async function provision(server: RunningServer, count: number): Promise<DeviceCredentials[]> {
  const { registry } = server.store;
  await registry.upsertRegion({ id: 'bench-city', name: '基准市', level: 'city', parentId: null });
  await registry.upsertRegion({ id: 'bench-district', name: '基准区', level: 'district', parentId: 'bench-city' });
  await registry.upsertRegion({ id: 'bench-town', name: '基准镇', level: 'township', parentId: 'bench-district' });
  const devices: DeviceCredentials[] = [];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const siteId = `bench-site-${String(Math.floor(i / DEVICES_PER_SITE)).padStart(5, '0')}`;
    if (i % DEVICES_PER_SITE === 0) await registry.upsertSite({ id: siteId, name: `餐厅 ${siteId}`, regionId: 'bench-town' });
    const id = `bench-dev-${String(i).padStart(5, '0')}`;
    const secret = generateDeviceSecret();
    await registry.createDevice({ id, siteId, kind: 'temperature', label: `fridge ${i}`, profile: 'chilled', expectedIntervalS: 30 }, secret, now);
    devices.push({ id, secret });
  }
  return devices;
}

/** Sum and count of a prom-client histogram. */
async function histogramTotals(h: { get(): Promise<{ values: { metricName?: string; value: number }[] }> }): Promise<{ sum: number; count: number }> {
  const { values } = await h.get();
  const pick = (suffix: string) => values.find((v) => v.metricName?.endsWith(suffix))?.value ?? 0;
  return { sum: pick('_sum'), count: pick('_count') };
}

async function snapshot(server: RunningServer, count: boolean): Promise<ServerSnapshot> {
  const sample = sampleProcess();
  const batches = await histogramTotals(server.metrics.storeBatchSize);
  const writes = await histogramTotals(server.metrics.storeWriteSeconds);
  const stored = count ? await server.store.telemetry.count() : undefined;
  return {
    ...sample,
    ...(stored === undefined ? {} : { stored }),
    commits: batches.count,
    committedMessages: batches.sum,
    commitSeconds: writes.sum,
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const config = loadConfig({
    SK_DATA_DIR: spec.dataDir,
    SK_HTTP_HOST: '127.0.0.1',
    SK_HTTP_PORT: '0',
    SK_MQTT_HOST: '127.0.0.1',
    SK_MQTT_PORT: '0',
    SK_LOG_LEVEL: 'warn',
    SK_SQLITE_SYNCHRONOUS: spec.synchronous,
    SK_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
  });
  const server = await startServer(config, { logger: createLogger(config.logLevel) });

  let closing: Promise<void> | undefined;
  const shutdown = (code: number) => {
    closing ??= server.close().then(
      () => {
        if (process.connected) send({ type: 'closed' });
        process.exit(code);
      },
      (error: unknown) => {
        console.error('server close failed', error);
        process.exit(1);
      },
    );
    return closing;
  };
  // The orchestrator went away (crashed or killed): do not outlive it.
  process.on('disconnect', () => void shutdown(1));
  process.on('message', (raw) => {
    const msg = raw as ServerRequest;
    if (msg.type === 'close') void shutdown(0);
    else if (msg.type === 'snapshot') {
      snapshot(server, msg.count).then(
        (s) => send({ type: 'snapshot', snapshot: s }),
        (error: unknown) => send({ type: 'fatal', message: `snapshot failed: ${String(error)}` }),
      );
    }
  });

  const started = performance.now();
  const devices = await provision(server, spec.devices);
  send({ type: 'ready', mqttUrl: server.mqttUrl, devices, provisionMs: Math.round(performance.now() - started) });
}

main().catch((error: unknown) => {
  console.error(error);
  if (process.connected) send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
