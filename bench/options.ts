import { parseArgs } from 'node:util';
import { z } from 'zod';

export const SCENARIOS = ['sustained', 'baseline', 'paced', 'normal', 'latency', 'latency-baseline', 'fanout', 'idle', 'curve', 'history'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const HELP = `sunshine-kitchen load benchmark (loopback only; stops by itself).

Usage: npm run bench [-- options]      or   node dist/bench/run.js [options]

  --smoke                 tiny sizes (CI: proves the bench still runs, about a minute, no thresholds)
  --scenarios <list>      comma list of ${SCENARIOS.join(', ')} (default: all)
  --devices <n>           sustained: devices / MQTT clients (default 200; smoke 20)
  --seconds <s>           sustained: measured seconds (default 20; smoke 3)
  --warmup <s>            warm-up before every measured window (default 3; smoke 1)
  --window <n>            most QoS 1 messages in flight per client (default 8)
  --paced-devices <n>     paced: devices (default 1000; smoke 50)
  --paced-rate <n>        paced: readings/s offered in total (default 2000; smoke 200)
  --paced-seconds <s>     paced: measured seconds (default 15; smoke 2)
  --latency-rate <n>      latency: readings/s offered (default 10000; smoke 500)
  --latency-devices <n>   latency: devices (default 2000; smoke 100)
  --latency-alerts <n>    latency: alerts/s raised by out-of-band readings (default 20; smoke 5)
  --latency-stored <n>    latency: readings already in the file when the server starts, spread over its
                          devices, so it runs on a grown file as a city's server does (default 1000000;
                          smoke 2000; 0 for an empty file). Written in the server's process before it
                          starts, so a --profile of the server shows them too
  --fanout-clients <n>    fanout: socket.io dashboards (default 1000; smoke 20)
  --fanout-full <n>       fanout: how many of the clients are socket.io-client, the rest wire clients (default 50; smoke 5)
  --fanout-alerts <n>     fanout: alerts/s (default 100; smoke 10)
  --fanout-devices <n>    fanout: devices, 1 reading/s each (default 2000; smoke 100)
  --idle-devices <n>      idle: MQTT connections held, keepalive 60 s (default 20000; smoke 200)
  --idle-seconds <s>      idle: how long they are held before memory is read (default 10; smoke 2)
  --curve-devices <list>  curve: connected devices per point (default 1000,5000,20000; smoke 50,100)
  --curve-rate <n>        curve: paced readings/s at every point (default 5000; smoke 200)
  --history-readings <l>  history: stored readings per point (default 1000000,10000000; smoke 100000)
  --history-fleet <n>     history: registered devices in the database (default 150000; smoke 1000)
  --history-queries <n>   history: queries per point (default 200; smoke 20)
  --data-dir <dir>        where the temporary SQLite files go (default: the OS temp dir)
  --timeout <s>           hard limit for the whole run (default 1200; smoke 150)
  --profile <dir>         write a V8 CPU profile of each sunshine-kitchen server run into <dir>
  --no-pin                do not pin server and load generator to cores 0 and 1
  --help                  this text

Every option also reads from SK_BENCH_<NAME> (e.g. SK_BENCH_DEVICES=500); flags win.
`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const intList = (min: number, max: number) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => Number(x.trim())))
    .pipe(z.array(z.number().int().min(min).max(max)).min(1));

const schema = z.object({
  smoke: z.boolean(),
  scenarios: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SCENARIOS)).min(1)),
  devices: int(1, 20_000),
  seconds: z.coerce.number().min(0.5).max(3_600),
  warmup: z.coerce.number().min(0).max(600),
  window: int(1, 1_000),
  pacedDevices: int(1, 20_000),
  pacedRate: z.coerce.number().min(1).max(1_000_000),
  pacedSeconds: z.coerce.number().min(0.5).max(3_600),
  latencyRate: z.coerce.number().min(1).max(1_000_000),
  latencyDevices: int(1, 100_000),
  latencyAlerts: z.coerce.number().min(0.1).max(10_000),
  latencyStored: int(0, 100_000_000),
  fanoutClients: int(1, 20_000),
  fanoutFull: int(0, 20_000),
  fanoutAlerts: z.coerce.number().min(0.1).max(10_000),
  fanoutDevices: int(1, 100_000),
  idleDevices: int(1, 60_000),
  idleSeconds: z.coerce.number().min(0.5).max(3_600),
  curveDevices: intList(1, 60_000),
  curveRate: z.coerce.number().min(1).max(1_000_000),
  historyReadings: intList(70_000, 100_000_000),
  historyFleet: int(1, 1_000_000),
  historyQueries: int(1, 100_000),
  dataDir: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  timeout: z.coerce.number().min(10).max(24 * 3_600),
  pin: z.boolean(),
  help: z.boolean(),
});

export type BenchOptions = z.infer<typeof schema>;

const FULL = {
  devices: 200,
  seconds: 20,
  warmup: 3,
  window: 8,
  pacedDevices: 1_000,
  pacedRate: 2_000,
  pacedSeconds: 15,
  latencyRate: 10_000,
  latencyDevices: 2_000,
  latencyAlerts: 20,
  latencyStored: 1_000_000,
  fanoutClients: 1_000,
  fanoutFull: 50,
  fanoutAlerts: 100,
  fanoutDevices: 2_000,
  idleDevices: 20_000,
  idleSeconds: 10,
  curveDevices: '1000,5000,20000',
  curveRate: 5_000,
  historyReadings: '1000000,10000000',
  historyFleet: 150_000,
  historyQueries: 200,
  timeout: 1_200,
};
const SMOKE = {
  devices: 20,
  seconds: 3,
  warmup: 1,
  window: 8,
  pacedDevices: 50,
  pacedRate: 200,
  pacedSeconds: 2,
  latencyRate: 500,
  latencyDevices: 100,
  latencyAlerts: 5,
  latencyStored: 2_000,
  fanoutClients: 20,
  fanoutFull: 5,
  fanoutAlerts: 10,
  fanoutDevices: 100,
  idleDevices: 200,
  idleSeconds: 2,
  curveDevices: '50,100',
  curveRate: 200,
  historyReadings: '100000',
  historyFleet: 1_000,
  historyQueries: 20,
  timeout: 150,
};

const NAMES = [
  'scenarios',
  'devices',
  'seconds',
  'warmup',
  'window',
  'paced-devices',
  'paced-rate',
  'paced-seconds',
  'latency-rate',
  'latency-devices',
  'latency-alerts',
  'latency-stored',
  'fanout-clients',
  'fanout-full',
  'fanout-alerts',
  'fanout-devices',
  'idle-devices',
  'idle-seconds',
  'curve-devices',
  'curve-rate',
  'history-readings',
  'history-fleet',
  'history-queries',
  'data-dir',
  'profile',
  'timeout',
] as const;
const camel = (name: string) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** Flags, then SK_BENCH_* variables, then the defaults of the chosen size; throws once listing every bad value. */
export function parseOptions(argv: string[], env: Record<string, string | undefined>): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      smoke: { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      ...Object.fromEntries(NAMES.map((n) => [n, { type: 'string' as const }])),
    },
  });
  const flags = values as Record<string, string | boolean | undefined>;
  const smoke = flags.smoke === true || env.SK_BENCH_SMOKE === '1';
  const raw: Record<string, unknown> = { ...(smoke ? SMOKE : FULL), scenarios: SCENARIOS.join(',') };
  for (const name of NAMES) {
    const value = flags[name] ?? env[`SK_BENCH_${name.replace(/-/g, '_').toUpperCase()}`];
    if (value !== undefined) raw[camel(name)] = value;
  }
  const parsed = schema.safeParse({ ...raw, smoke, pin: flags['no-pin'] !== true && env.SK_BENCH_NO_PIN !== '1', help: flags.help === true });
  if (!parsed.success) {
    throw new Error(`bad bench options:\n${parsed.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
