import { parseArgs } from 'node:util';
import { z } from 'zod';
import { round } from './protocol.js';

/**
 * The parts of `node dist/bench/alternate.js` that do not run anything: its
 * options, and the table it makes of the runs' result lines.
 *
 * On a shared machine the same build's p99 can vary fivefold within the hour
 * (bench/README.md, sixteenth and seventeenth passes). A comparison only holds
 * when the two sides take turns: A, B, A, B, … so that a busy spell of the host
 * falls on both.
 */

/** Throughput, the tails, and each server's CPU for the load: Mosquitto's (brokerCpuPct) shows how fast the host let the core run. */
const DEFAULT_FIELDS = 'readingsPerSec,p99Ms,alertP99Ms,serverCpuPct,brokerCpuPct';

export const ALTERNATE_HELP = `Alternating bench runs of two sides, and a table of their figures.

Usage: node dist/bench/alternate.js [options] [-- run.js options]

  --rounds <n>          rounds; each runs side A, then side B (default 3)
  --scenarios <list>    the bench scenarios each run measures (default latency)
  --a <dir>             side A's checkout, with its dist built (default: this one)
  --b <dir>             side B's checkout (default: this one)
  --a-env <NAME=value>  an environment variable for side A's runs (repeatable)
  --b-env <NAME=value>  the same for side B
  --fields <list>       the result fields to compare (default ${DEFAULT_FIELDS})
  --help                this text

Options after -- go to every run, e.g. -- --warmup 5. SK_* variables reach the
server under test (bench/README.md, "How to run"), so --b-env SK_COMMIT_SPACING_MS=4
compares a setting; --b /tmp/wt-base compares a build. The same side twice
(no --b, no env) measures the noise.

Output: a JSON line per run and per figure, then a table: each figure's values
per round and their median, for A and B.
`;

export interface Side {
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface AlternateOptions {
  readonly rounds: number;
  readonly scenarios: string;
  readonly fields: readonly string[];
  readonly a: Side;
  readonly b: Side;
  /** Passed to every run of `run.js`. */
  readonly runArgs: readonly string[];
  readonly help: boolean;
}

const assignment = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*=/, 'expected NAME=value')
  .transform((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)] as const);

const schema = z.object({
  rounds: z.coerce.number().int().min(1).max(100),
  scenarios: z.string().regex(/^[a-z-]+(,[a-z-]+)*$/, 'a comma list of scenario names'),
  fields: z
    .string()
    .transform((s) => s.split(',').map((f) => f.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9]+$/)).min(1)),
  aEnv: z.array(assignment),
  bEnv: z.array(assignment),
});

/** Parses the command line; `here` is this checkout, each side's default. Throws once, listing every bad value. */
export function parseAlternateOptions(argv: string[], here: string): AlternateOptions {
  const dashes = argv.indexOf('--');
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  const runArgs = dashes < 0 ? [] : argv.slice(dashes + 1);
  const { values } = parseArgs({
    args: own,
    strict: true,
    options: {
      rounds: { type: 'string', default: '3' },
      scenarios: { type: 'string', default: 'latency' },
      fields: { type: 'string', default: DEFAULT_FIELDS },
      a: { type: 'string' },
      b: { type: 'string' },
      'a-env': { type: 'string', multiple: true, default: [] },
      'b-env': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  const parsed = schema.safeParse({ rounds: values.rounds, scenarios: values.scenarios, fields: values.fields, aEnv: values['a-env'], bEnv: values['b-env'] });
  if (!parsed.success) {
    throw new Error(`bad options:\n${parsed.error.issues.map((i) => `  --${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('\n')}`);
  }
  const { rounds, scenarios, fields, aEnv, bEnv } = parsed.data;
  return {
    rounds,
    scenarios,
    fields,
    a: { dir: values.a ?? here, env: Object.fromEntries(aEnv) },
    b: { dir: values.b ?? here, env: Object.fromEntries(bEnv) },
    runArgs,
    help: values.help,
  };
}

/** One result line of `run.js` that names what it measured (the summary line does not). */
export interface ResultLine {
  bench: string;
  target?: string;
  [field: string]: unknown;
}

/** The result lines in a run's output, the summary left out (and a line cut short, as by a killed run). */
export function resultLines(output: string): ResultLine[] {
  const lines: ResultLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{"bench":')) continue;
    let line: ResultLine;
    try {
      line = JSON.parse(text) as ResultLine;
    } catch {
      continue;
    }
    if (line.bench !== 'summary') lines.push(line);
  }
  return lines;
}

/** A figure of one run: which side, which round, which line (bench and target) and field. */
export interface Figure {
  side: 'A' | 'B';
  round: number;
  /** `bench` and, when the line has one, its `target` (`latency/sunshine-kitchen`, `latency/mosquitto`). */
  line: string;
  field: string;
  value: number;
}

/** The chosen numeric fields of a run's lines. */
export function figuresOf(side: 'A' | 'B', round: number, lines: ResultLine[], fields: readonly string[]): Figure[] {
  const figures: Figure[] = [];
  for (const line of lines) {
    const name = line.target ? `${line.bench}/${line.target}` : line.bench;
    for (const field of fields) {
      const value = line[field];
      if (typeof value === 'number' && Number.isFinite(value)) figures.push({ side, round, line: name, field, value });
    }
  }
  return figures;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface TableRow {
  line: string;
  field: string;
  /** Values in round order; a round without the figure (its run failed) has none. */
  a: number[];
  b: number[];
  medianA: number;
  medianB: number;
}

/** One row per line and field, in the order they first appeared. */
export function compare(figures: readonly Figure[]): TableRow[] {
  const rows = new Map<string, TableRow>();
  for (const f of [...figures].sort((x, y) => x.round - y.round)) {
    const key = `${f.line}\u0000${f.field}`;
    let row = rows.get(key);
    if (!row) {
      row = { line: f.line, field: f.field, a: [], b: [], medianA: Number.NaN, medianB: Number.NaN };
      rows.set(key, row);
    }
    (f.side === 'A' ? row.a : row.b).push(f.value);
  }
  return [...rows.values()].map((row) => ({ ...row, medianA: median(row.a), medianB: median(row.b) }));
}

/** The table as text: one row per figure, A's values / B's values per round, then the medians. */
export function formatTable(rows: readonly TableRow[]): string {
  const cells = rows.map((r) => [
    r.line,
    r.field,
    `${r.a.join(', ')}  |  ${r.b.join(', ')}`,
    `${shown(r.medianA)} / ${shown(r.medianB)}`,
  ]);
  const header = ['line', 'field', 'A per round  |  B per round', 'median A / B'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const show = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('   ').trimEnd();
  return [show(header), ...cells.map(show)].join('\n');
}

const shown = (n: number) => (Number.isNaN(n) ? '-' : String(round(n, 2)));
