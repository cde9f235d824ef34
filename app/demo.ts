import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../observability/logger.js';
import mqtt from 'mqtt';
import { demoPlan } from '../simulators/demo-plan.js';
import { publishHistory } from '../simulators/history.js';
import { createModel } from '../simulators/models/index.js';
import { deviceSeed } from '../simulators/random.js';
import { Fleet, type FleetDevice } from '../simulators/fleet.js';
import { isFaultName, type FaultName } from '../simulators/models/model.js';
import type { RegistryStore } from '../store/index.js';
import { ConfigError, loadConfig } from './config.js';
import { provisionDemoPlan } from './provision-demo.js';
import { startServer } from './server.js';
import { installShutdown } from './shutdown.js';

const USAGE = `npm run demo -- [--sites 20] [--interval 5000] [--seed 1] [--fault <deviceId>:<fault>]...

Starts the backend on its embedded defaults, provisions a demo jurisdiction
(one city, two districts, five townships, --sites restaurants with fridges,
freezers, grease traps and cameras) and runs simulated devices against it over
real MQTT. Open the printed URL to watch the readings live.`;

/** `npm run demo`: the whole system with simulated kitchens, for a first look. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sites: { type: 'string', default: '20' },
      interval: { type: 'string', default: '5000' },
      seed: { type: 'string', default: '1' },
      fault: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const sites = Number(values.sites);
  const intervalMs = Number(values.interval);
  const seed = Number(values.seed);
  if (!Number.isInteger(sites) || sites < 1 || !Number.isInteger(intervalMs) || intervalMs < 100 || !Number.isInteger(seed)) {
    console.error(`bad arguments\n\n${USAGE}`);
    process.exit(2);
  }
  const faults = values.fault.map((spec) => {
    const [deviceId, fault] = spec.split(':');
    if (!deviceId || !fault || !isFaultName(fault)) {
      console.error(`--fault takes <deviceId>:<fault>, got ${spec}`);
      process.exit(2);
    }
    return { deviceId, fault: fault as FaultName };
  });

  const config = loadConfig({ SK_DATA_DIR: './data/demo', ...process.env });
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, { logger });
  const fleetFile = join(config.dataDir, 'demo-fleet.json');
  const firstRun = !existsSync(fleetFile);
  const devices = await provisionDemo(server.store.registry, fleetFile, { seed, sites });
  if (firstRun) {
    console.log(`\n  first run: uploading ${HISTORY_DAYS} days of simulated history for ${devices.length} devices…`);
    await backfillDemoHistory(server.mqttUrl, devices, { days: HISTORY_DAYS, seed, now: Date.now() });
  }
  const fleet = new Fleet({ url: server.mqttUrl, devices, intervalMs, seed, faults });
  fleet.on('device:error', (deviceId, error) => logger.debug({ deviceId, err: error.message }, 'simulated device error'));
  await fleet.start();

  // Printed for the person who started the demo, never logged.
  const admin = server.bootstrapAdmin;
  const password = admin && existsSync(admin.passwordFile) ? readFileSync(admin.passwordFile, 'utf8').trim() : undefined;
  console.log(`\n  sunshine-kitchen demo: ${devices.length} simulated devices in ${sites} kitchens\n`);
  console.log(`  dashboard  ${server.httpUrl}/`);
  if (admin && password) console.log(`  log in as  ${admin.user} / ${password}   (generated; kept in ${admin.passwordFile}, mode 0600)`);
  else console.log('  log in as  an existing user (the generated admin password file is gone)');
  const example = devices[0]?.siteId;
  if (example) console.log(`  public     ${server.httpUrl}/p/${example}   (a transparency page for the QR code on the door, no login)`);
  console.log(`  API docs   ${server.httpUrl}/docs`);
  console.log(`  metrics    ${server.httpUrl}/metrics`);
  console.log(`  MQTT       ${server.mqttUrl}\n`);
  const status = setInterval(() => {
    const s = fleet.stats();
    logger.info({ connected: s.connected, sent: s.sent, acked: s.acked, buffered: s.buffered }, 'simulated fleet');
  }, 30_000);
  status.unref();

  installShutdown(async () => {
    clearInterval(status);
    await fleet.stop();
    await server.close();
  }, logger);
}

const HISTORY_DAYS = 7;
/**
 * A fridge's door opens for a minute or so; a coarser step would see it open for a
 * whole step and raise door alarms the device never had.
 */
const HISTORY_STEP_MS: Readonly<Record<FleetDevice['kind'], number>> = { temperature: 2 * 60_000, oil_separator: 10 * 60_000, camera: 10 * 60_000 };
const DAY_MS = 86_400_000;

/**
 * On the first run, every device uploads a week of readings from its model, as a
 * device uploads its buffer after an outage, so the charts, gauges and forecasts
 * have something to show at once. The first fridge's compressor fails for three
 * hours two days ago: the charts show an excursion and the alert history a
 * raised and cleared `temperature_high`.
 */
async function backfillDemoHistory(url: string, devices: readonly FleetDevice[], options: { days: number; seed: number; now: number }): Promise<void> {
  const from = options.now - options.days * DAY_MS;
  const to = options.now - 60_000;
  const failing = devices.find((d) => d.profile === 'chilled')?.id;
  const queue = [...devices];
  const worker = async () => {
    for (let device = queue.shift(); device; device = queue.shift()) {
      const client = await mqtt.connectAsync(url, { clientId: device.id, username: device.id, password: device.secret, clean: true, reconnectPeriod: 0 });
      try {
        const model = createModel(device.kind, device.profile, deviceSeed(options.seed, device.id));
        const range = { stepMs: HISTORY_STEP_MS[device.kind], boot: 'demo-history' };
        if (device.id === failing) {
          const failAt = options.now - 2 * DAY_MS;
          const recoverAt = failAt + 3 * 3_600_000;
          let seq = await publishHistory(client, device.id, model, { ...range, from, to: failAt - 1 });
          model.inject('compressor_failure', failAt);
          seq = await publishHistory(client, device.id, model, { ...range, from: failAt, to: recoverAt - 1, firstSeq: seq });
          model.clear('compressor_failure');
          await publishHistory(client, device.id, model, { ...range, from: recoverAt, to, firstSeq: seq });
        } else {
          await publishHistory(client, device.id, model, { ...range, from, to });
        }
      } finally {
        await client.endAsync();
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** The demo jurisdiction, registered once; device secrets are kept in a fleet file (mode 0600) so a restarted demo reconnects the same devices. */
async function provisionDemo(registry: RegistryStore, fleetFile: string, options: { seed: number; sites: number }): Promise<FleetDevice[]> {
  const known = existsSync(fleetFile) ? (JSON.parse(readFileSync(fleetFile, 'utf8')) as { devices: FleetDevice[] }).devices : [];
  const fleet = await provisionDemoPlan(registry, demoPlan(options), new Map(known.map((d) => [d.id, d.secret])));
  writeFileSync(fleetFile, JSON.stringify({ devices: fleet }, null, 2), { mode: 0o600 });
  return fleet;
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
