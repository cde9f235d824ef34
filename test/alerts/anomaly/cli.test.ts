import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../alerts/anomaly/cli.js';
import { AnomalyDetector } from '../../../alerts/anomaly/detector.js';
import { HOUR, simulate, T0 } from './simulate.js';

/** Runs the command in-process (no TypeScript runner is installed to spawn it) and collects its output. */
async function runCli(argv: string[], input = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const code = await main(argv, Readable.from([input]), stdout, stderr);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('anomaly CLI', () => {
  it('scores a CSV file like the online detector, echoing timestamps as given', async () => {
    const series = simulate('frozen', 71, 24, { name: 'defrost_stuck', atH: 20 });
    const lines = series.t.map((t, i) => `${i % 2 ? new Date(t).toISOString() : t},${series.v[i]}`);
    dir = mkdtempSync(join(tmpdir(), 'anomaly-cli-'));
    const file = join(dir, 'freezer.csv');
    writeFileSync(file, `timestamp,value\r\n${lines.join('\r\n')}\r\n`);

    const { code, stdout, stderr } = await runCli([file, '--sensitivity', 'high']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const rows = stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('timestamp,value,score');
    expect(rows).toHaveLength(series.t.length + 1);

    const d = new AnomalyDetector({ sensitivity: 'high' });
    const expected = series.t.map((t, i) => `${lines[i]},${d.update(t, series.v[i] as number).toFixed(4)}`);
    expect(rows.slice(1)).toEqual(expected);
    const scores = rows.slice(1).map((r) => Number(r.split(',')[2]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    const afterFault = scores.filter((_, i) => (series.t[i] as number) >= T0 + 20 * HOUR);
    expect(Math.max(...afterFault)).toBeGreaterThanOrEqual(0.5);
  });

  it('reads stdin without a header', async () => {
    const { code, stdout } = await runCli(['--warmup-hours', '0'], '1000,3.5\n\n31000,3.6\n');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^timestamp,value,score\n1000,3\.5,\d\.\d{4}\n31000,3\.6,\d\.\d{4}\n$/);
  });

  it('names the bad line on stderr and exits non-zero, without a stack trace', async () => {
    const { code, stderr } = await runCli([], 'timestamp,value\n1000,3.5\n31000,warm\n61000,3.7\n');
    expect(code).toBe(1);
    expect(stderr).toContain('line 3');
    expect(stderr).toContain('"warm" is not a number');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['a timestamp without a zone', '2025-06-03T08:00:00,3.5\n', /line 1: .*zone/],
    ['a row with three fields', '1000,3.5,extra\n', /line 1: expected 2 fields/],
  ])('refuses %s', async (_name, input, message) => {
    const { code, stderr } = await runCli([], input);
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });

  it('refuses a bad flag or sensitivity with usage, and a missing file with its name', async () => {
    const bad = await runCli(['--sensitivity', 'loud']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/sensitivity.*\n.*usage/s);
    const missing = await runCli(['/nonexistent/readings.csv']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('/nonexistent/readings.csv');
    expect(missing.stdout).toBe('');
  });
});
