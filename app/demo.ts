import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../observability/logger.js';
import { demoPlan } from '../simulators/demo-plan.js';
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
  const devices = await provisionDemo(server.store.registry, join(config.dataDir, 'demo-fleet.json'), { seed, sites });
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
  if (example) console.log(`  public     ${server.httpUrl}/api/v1/public/sites/${example}   (a transparency page, no login)`);
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
