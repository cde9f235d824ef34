/**
 * `node dist/bench/alternate.js`: the same bench scenarios run on two sides,
 * A and B, taking turns round after round, and a table of their figures. A side
 * is a checkout with its `dist` built and environment variables; see
 * {@link ALTERNATE_HELP} and bench/README.md, "Comparing two builds or settings".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALTERNATE_HELP, compare, figuresOf, formatTable, parseAlternateOptions, resultLines, type Figure, type Side } from './alternation.js';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let running: ChildProcess | undefined;
/** Set by SIGINT or SIGTERM: the run under way is told to stop, and no other starts. */
let stopping = false;

/** One `run.js` of a side; resolves with its stdout and exit code. Its stderr passes through. */
function runSide(side: Side, scenarios: string, runArgs: readonly string[]): Promise<{ output: string; code: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(side.dir, 'dist', 'bench', 'run.js'), '--scenarios', scenarios, ...runArgs], {
      cwd: side.dir,
      env: { ...process.env, ...side.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    running = child;
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    child.once('error', fail);
    child.once('close', (code, signal) => {
      running = undefined;
      done({ output, code: code ?? (signal ? 128 : 1) });
    });
  });
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseAlternateOptions(process.argv.slice(2), here);
  } catch (error) {
    console.error((error as Error).message);
    console.error(ALTERNATE_HELP);
    return 2;
  }
  if (options.help) {
    console.log(ALTERNATE_HELP);
    return 0;
  }
  for (const [name, side] of [['A', options.a], ['B', options.b]] as const) {
    if (!existsSync(join(side.dir, 'dist', 'bench', 'run.js'))) {
      console.error(`side ${name}: ${side.dir}/dist/bench/run.js not found; build that checkout first (npx tsc -p tsconfig.build.json)`);
      return 2;
    }
  }
  const figures: Figure[] = [];
  let failed = 0;
  for (let round = 1; round <= options.rounds; round++) {
    for (const [name, side] of [['A', options.a], ['B', options.b]] as const) {
      const { output, code } = await runSide(side, options.scenarios, options.runArgs);
      if (stopping) return 130;
      if (code !== 0) {
        // A run that lost readings or crashed measured something else: its figures stay out of the table.
        failed++;
        console.error(`round ${round} side ${name}: run.js exited with ${code}; its figures are left out`);
        continue;
      }
      const runFigures = figuresOf(name, round, resultLines(output), options.fields);
      for (const figure of runFigures) console.log(JSON.stringify({ alternate: 'figure', ...figure }));
      figures.push(...runFigures);
    }
  }
  console.log(`\nA: ${options.a.dir} ${JSON.stringify(options.a.env)}\nB: ${options.b.dir} ${JSON.stringify(options.b.env)}\n`);
  console.log(formatTable(compare(figures)));
  return failed > 0 ? 1 : 0;
}

// run.js stops its own children and removes its files on SIGINT or SIGTERM: pass the signal on and wait for it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopping = true;
    if (running) running.kill(signal);
    else process.exit(130);
  });
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
