/**
 * `npm run soak`: the kill loop for longer (fault item 9 with hostile clients
 * alongside). The real server runs as a child process under load from real MQTT
 * devices and is killed with SIGKILL at random moments, restarted on the same
 * data dir; at the end every reading that got a PUBACK must be in SQLite.
 *
 * stdout: one JSON line with the report; stderr: a human summary. Exit code 0
 * when nothing acknowledged was lost and the server never crashed, 1 otherwise,
 * 2 on bad options, 3 on the hard timeout.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runKillLoop } from './kill-loop.js';

const HELP = `sunshine-kitchen soak: SIGKILL loop under load (loopback only; stops by itself).

Usage: npm run soak [-- options]      or   node dist/soak/run.js [options]

  --seconds <s>        total run time, split evenly between server runs (default 60)
  --kills <n>          SIGKILLs at random moments (default 20)
  --devices <n>        MQTT devices publishing QoS 1 readings (default 50)
  --window <n>         readings in flight per device (default 4)
  --interval <ms>      pause between a device's publishes (default 20)
  --hostile <ms>       a hostile connection every <ms> (garbage, 250 MiB header, wrong secret, silence); 0: none (default 25)
  --synchronous <s>    full | normal (default full, as in production)
  --seed <n>           random seed of kill moments and attacks (default 1)
  --final <signal>     SIGKILL | SIGTERM: how the last run ends (default SIGKILL)
  --data-dir <dir>     parent of the temporary data dir (default: the OS temp dir)
  --help               this text
`;

const schema = z.object({
  seconds: z.coerce.number().min(2).max(24 * 3_600),
  kills: z.coerce.number().int().min(1).max(100_000),
  devices: z.coerce.number().int().min(1).max(5_000),
  window: z.coerce.number().int().min(1).max(100),
  interval: z.coerce.number().int().min(0).max(60_000),
  hostile: z.coerce.number().int().min(0).max(60_000),
  synchronous: z.enum(['full', 'normal']),
  seed: z.coerce.number().int(),
  final: z.enum(['SIGKILL', 'SIGTERM']),
  dataDir: z.string().min(1).optional(),
});

function options() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      kills: { type: 'string', default: '20' },
      devices: { type: 'string', default: '50' },
      window: { type: 'string', default: '4' },
      interval: { type: 'string', default: '20' },
      hostile: { type: 'string', default: '25' },
      synchronous: { type: 'string', default: 'full' },
      seed: { type: 'string', default: '1' },
      final: { type: 'string', default: 'SIGKILL' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const parsed = schema.safeParse({ ...values, dataDir: values['data-dir'] });
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
    console.error(HELP);
    process.exit(2);
  }
  return parsed.data;
}

async function main(): Promise<void> {
  const o = options();
  const entry = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'app', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run through \`npm run soak\`, which builds first`);
  const dataDir = mkdtempSync(join(o.dataDir ?? tmpdir(), 'sk-soak-'));
  const hardLimit = setTimeout(() => {
    console.error(`soak: hard timeout after ${o.seconds * 3 + 60} s`);
    process.exit(3);
  }, (o.seconds * 3 + 60) * 1_000);
  hardLimit.unref();
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const slice = (o.seconds * 1_000) / (o.kills + 1);
  console.error(`soak: ${o.devices} devices, ${o.kills} SIGKILLs over ~${o.seconds} s, synchronous=${o.synchronous}, seed ${o.seed}`);
  const report = await runKillLoop({
    entry,
    dataDir,
    devices: o.devices,
    kills: o.kills,
    minUpMs: slice * 0.5,
    maxUpMs: slice * 1.5,
    seed: o.seed,
    window: o.window,
    intervalMs: o.interval,
    synchronous: o.synchronous,
    settleMs: Math.max(1_000, slice),
    finalStop: o.final,
    hostileIntervalMs: o.hostile,
  });
  process.stdout.write(`${JSON.stringify({ soak: 'kill-loop', seed: o.seed, synchronous: o.synchronous, ...report })}\n`);
  console.error(
    [
      `  readings: sent ${report.sent}, acknowledged ${report.acknowledged}, stored ${report.stored} of those, lost ${report.lost}`,
      `  faults injected: ${report.faultsInjected} (${report.kills} SIGKILLs, ${report.hostileConnections} hostile connections, ${report.hostileClosedByServer} closed by the server)`,
      `  server: ${report.restarts} restarts, ${report.crashes} crashes, peak RSS ${report.peakRssMiB ?? '?'} MiB; devices: ${report.reconnects} reconnects, ${report.devicesResumed}/${report.devices} resumed after the last restart`,
      `  ${report.seconds} s`,
    ].join('\n'),
  );
  if (report.lost > 0) console.error(`  LOST (first ${report.missing.length}): ${report.missing.join(', ')}`);
  if (report.crashes > 0) console.error(`  CRASHES: ${report.crashDetails.join('\n')}`);
  process.exit(report.lost === 0 && report.crashes === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
