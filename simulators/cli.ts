import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { deviceIdSchema, deviceKindSchema, deviceProfileSchema } from '../contracts/index.js';
import { Fleet, type FleetDevice } from './fleet.js';
import { FAULT_NAMES, isFaultName, type FaultName } from './models/model.js';

const HELP = `Simulated kitchen devices over MQTT.

Usage: node dist/simulators/cli.js --fleet <file> [options]

  --fleet <file>          JSON: { "mqttUrl"?: string, "devices": [{ "id", "secret", "kind", "profile", "siteId" }] }
  --url <url>             broker URL (default: the file's mqttUrl, else mqtt://127.0.0.1:1883)
  --sites <n>             only the devices of the first n sites in the file
  --interval <ms>         each device reports about this often (default 5000)
  --seed <n>              fleet seed: same seed, same physics (default 1)
  --fault <device>:<name> start with a fault; repeatable. Faults: ${FAULT_NAMES.join(', ')}
  --duration <s>          stop after this many seconds (default: until SIGINT/SIGTERM)
  --help                  this text
`;

const fleetFileSchema = z.object({
  mqttUrl: z.string().optional(),
  devices: z.array(
    z.object({
      id: deviceIdSchema,
      secret: z.string().min(1),
      kind: deviceKindSchema,
      profile: deviceProfileSchema,
      siteId: z.string().optional(),
    }),
  ),
});

class UsageError extends Error {}

interface CliOptions {
  fleetFile: string;
  url: string | undefined;
  sites: number | undefined;
  intervalMs: number;
  seed: number;
  faults: Array<{ deviceId: string; fault: FaultName }>;
  durationS: number | undefined;
}

function parse(argv: string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      fleet: { type: 'string' },
      url: { type: 'string' },
      sites: { type: 'string' },
      interval: { type: 'string' },
      seed: { type: 'string' },
      fault: { type: 'string', multiple: true },
      duration: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  if (!values.fleet) throw new UsageError('--fleet <file> is required');
  const faults = (values.fault ?? []).map((spec) => {
    const at = spec.lastIndexOf(':');
    const deviceId = spec.slice(0, at);
    const fault = spec.slice(at + 1);
    if (at < 1 || !isFaultName(fault)) throw new UsageError(`--fault ${spec}: expected <deviceId>:<one of ${FAULT_NAMES.join('|')}>`);
    return { deviceId, fault };
  });
  return {
    fleetFile: values.fleet,
    url: values.url,
    sites: optionalInt('--sites', values.sites, 1),
    intervalMs: optionalInt('--interval', values.interval, 10) ?? 5_000,
    seed: optionalInt('--seed', values.seed, 0) ?? 1,
    faults,
    durationS: optionalInt('--duration', values.duration, 1),
  };
}

function optionalInt(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

/** The devices of the first `sites` sites, in file order (devices without a site count as their own site). */
function firstSites(devices: FleetDevice[], sites: number | undefined): FleetDevice[] {
  if (sites === undefined) return devices;
  const kept = new Set<string>();
  return devices.filter((d) => {
    const site = d.siteId ?? `device:${d.id}`;
    if (!kept.has(site) && kept.size < sites) kept.add(site);
    return kept.has(site);
  });
}

async function main(argv: string[]): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(options.fleetFile, 'utf8'));
  } catch (error) {
    process.stderr.write(`cannot read fleet file ${options.fleetFile}: ${(error as Error).message}\n`);
    return 2;
  }
  const file = fleetFileSchema.safeParse(raw);
  if (!file.success) {
    process.stderr.write(`${options.fleetFile}: ${file.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
    return 2;
  }
  const devices = firstSites(file.data.devices, options.sites);
  const known = new Set(devices.map((d) => d.id));
  const unknown = options.faults.find((f) => !known.has(f.deviceId));
  if (unknown) {
    process.stderr.write(`--fault: no device ${unknown.deviceId} in the simulated fleet\n`);
    return 2;
  }
  const url = options.url ?? file.data.mqttUrl ?? 'mqtt://127.0.0.1:1883';
  const fleet = new Fleet({ url, devices, intervalMs: options.intervalMs, seed: options.seed, faults: options.faults });
  // One line per device and problem kind would flood the terminal; the status line carries the totals.
  let errors = 0;
  fleet.on('device:error', () => errors++);

  const status = () => {
    const s = fleet.stats();
    process.stdout.write(
      `${new Date().toISOString()} devices ${s.devices} connected ${s.connected} sent ${s.sent} acked ${s.acked} buffered ${s.buffered} dropped ${s.dropped} findings ${s.findings} errors ${errors}\n`,
    );
  };
  process.stdout.write(`simulating ${devices.length} devices against ${url}, every ~${options.intervalMs} ms\n`);
  const ticker = setInterval(status, 10_000);

  let stopping: Promise<void> | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      stopping ??= (async () => {
        clearInterval(ticker);
        await fleet.stop();
        status();
        resolve();
      })();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (options.durationS !== undefined) setTimeout(stop, options.durationS * 1000);
  });
  await fleet.start();
  await stopped;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
