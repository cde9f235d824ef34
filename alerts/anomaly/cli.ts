/**
 * The anomaly detector offline: reads `timestamp,value` rows (a file or stdin),
 * prints `timestamp,value,score`, so its quality can be measured on recorded data.
 *
 *   npm run anomaly -- readings.csv --sensitivity high
 *   cat readings.csv | node dist/alerts/anomaly/cli.js
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AnomalyDetector, parseSensitivity } from './detector.js';

export const USAGE = `usage: anomaly [file.csv] [--sensitivity low|medium|high|0..1] [--warmup-hours H]
Reads rows of "timestamp,value" (an optional header row; timestamps in epoch ms
or ISO 8601 with Z or an offset) from the file or stdin, in time order, and prints
"timestamp,value,score" with a score in [0, 1] per row (0.5 = the alarm level at
the chosen sensitivity; 0 during the warm-up, default 12 h).`;

/** A row the command cannot use; the message names the line. */
class InputError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const EPOCH_MS = /^[+-]?\d+(\.\d+)?$/;
/** Date, time and a zone: a time without a zone would silently mean the machine's local time. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a timestamp cell to epoch ms, or returns a reason it cannot. */
function parseTimestamp(text: string): number | string {
  if (EPOCH_MS.test(text)) return Number(text);
  if (!ISO_8601.test(text)) return `timestamp "${text}" is neither epoch milliseconds nor ISO 8601 with a zone (e.g. 2025-06-03T08:00:00Z)`;
  const ms = Date.parse(text.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : `timestamp "${text}" is not a valid date`;
}

function parseRow(line: string, lineNo: number): { tsText: string; valueText: string; ts: number; value: number } {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length !== 2) throw new InputError(lineNo, `expected 2 fields "timestamp,value", found ${cells.length}`);
  const [tsText, valueText] = cells as [string, string];
  const ts = parseTimestamp(tsText);
  if (typeof ts === 'string') throw new InputError(lineNo, ts);
  if (!NUMBER.test(valueText)) throw new InputError(lineNo, `value "${valueText}" is not a number`);
  return { tsText, valueText, ts, value: Number(valueText) };
}

/** A first line whose timestamp cell is not a timestamp, like `timestamp,value` or `ts,temperatureC`. */
function isHeader(line: string): boolean {
  const first = line.split(',')[0]?.trim() ?? '';
  return first !== '' && typeof parseTimestamp(first) === 'string' && !/^\d/.test(first);
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Runs the command; returns the exit code (0 ok, 1 bad input or unreadable file,
 * 2 bad usage). Never throws for bad input: it explains on `stderr`.
 */
export async function main(argv: readonly string[], stdin: Readable, stdout: Writable, stderr: Writable): Promise<number> {
  let file: string | undefined;
  let detector: AnomalyDetector;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        sensitivity: { type: 'string', default: 'medium' },
        'warmup-hours': { type: 'string', default: '12' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length > 1) throw new RangeError(`expected at most one file, got ${positionals.length}`);
    file = positionals[0];
    const warmupHours = Number(values['warmup-hours']);
    if (!Number.isFinite(warmupHours) || warmupHours < 0) throw new RangeError(`--warmup-hours must be a number >= 0, not ${values['warmup-hours']}`);
    detector = new AnomalyDetector({
      sensitivity: parseSensitivity(values.sensitivity),
      warmupMs: warmupHours * 3_600_000,
      // Fewer readings are enough when the caller shortens the warm-up on purpose.
      warmupReadings: Math.min(120, Math.ceil(warmupHours * 10)),
    });
  } catch (error) {
    stderr.write(`anomaly: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const input = file === undefined ? stdin : createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let firstLine = true;
  // Written with the first row (or at the end), so an unreadable file prints nothing on stdout.
  let headed = false;
  const head = async () => {
    if (!headed) await write(stdout, 'timestamp,value,score\n');
    headed = true;
  };
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = raw.trim();
      if (line === '') continue;
      const header = firstLine && isHeader(line);
      firstLine = false;
      if (header) continue;
      const row = parseRow(line, lineNo);
      const score = detector.update(row.ts, row.value);
      await head();
      await write(stdout, `${row.tsText},${row.valueText},${score.toFixed(4)}\n`);
    }
    await head();
    return 0;
  } catch (error) {
    // The reader went away (`| head`): not an error of ours.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    const where = file === undefined ? 'stdin' : file;
    const message = error instanceof InputError ? `${where}: ${error.message}` : `${where}: ${(error as Error).message}`;
    stderr.write(`anomaly: ${message}\n`);
    return 1;
  } finally {
    lines.close();
    if (input !== stdin) (input as ReturnType<typeof createReadStream>).destroy();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main(process.argv.slice(2), process.stdin, process.stdout, process.stderr).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // Only a bug lands here; bad input is handled in main.
      process.stderr.write(`anomaly: internal error: ${(error as Error).message}\n`);
      process.exitCode = 70;
    },
  );
}
