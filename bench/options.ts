import { parseArgs } from 'node:util';
import { z } from 'zod';

export const SCENARIOS = ['sustained', 'baseline', 'paced', 'normal'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const HELP = `sunshine-kitchen load benchmark (loopback only; stops by itself).

Usage: npm run bench [-- options]      or   node dist/bench/run.js [options]

  --smoke                 tiny sizes (CI: proves the bench still runs, < 30 s, no thresholds)
  --scenarios <list>      comma list of ${SCENARIOS.join(', ')} (default: all)
  --devices <n>           sustained: devices / MQTT clients (default 200; smoke 20)
  --seconds <s>           sustained: measured seconds (default 20; smoke 3)
  --warmup <s>            warm-up before every measured window (default 3; smoke 1)
  --window <n>            most QoS 1 messages in flight per client (default 8)
  --paced-devices <n>     paced: devices (default 1000; smoke 50)
  --paced-rate <n>        paced: readings/s offered in total (default 2000; smoke 200)
  --paced-seconds <s>     paced: measured seconds (default 15; smoke 2)
  --data-dir <dir>        where the temporary SQLite files go (default: the OS temp dir)
  --timeout <s>           hard limit for the whole run (default 420; smoke 90)
  --profile <dir>         write a V8 CPU profile of each sunshine-kitchen server run into <dir>
  --no-pin                do not pin server and load generator to cores 0 and 1
  --help                  this text

Every option also reads from SK_BENCH_<NAME> (e.g. SK_BENCH_DEVICES=500); flags win.
`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

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
  dataDir: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  timeout: z.coerce.number().min(10).max(24 * 3_600),
  pin: z.boolean(),
  help: z.boolean(),
});

export type BenchOptions = z.infer<typeof schema>;

const FULL = { devices: 200, seconds: 20, warmup: 3, window: 8, pacedDevices: 1_000, pacedRate: 2_000, pacedSeconds: 15, timeout: 420 };
const SMOKE = { devices: 20, seconds: 3, warmup: 1, window: 8, pacedDevices: 50, pacedRate: 200, pacedSeconds: 2, timeout: 90 };

const NAMES = ['scenarios', 'devices', 'seconds', 'warmup', 'window', 'paced-devices', 'paced-rate', 'paced-seconds', 'data-dir', 'profile', 'timeout'] as const;
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
