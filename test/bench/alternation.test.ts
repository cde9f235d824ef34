import { describe, expect, it } from 'vitest';
import { compare, figuresOf, formatTable, median, parseAlternateOptions, resultLines } from '../../bench/alternation.js';

/**
 * `node dist/bench/alternate.js` (bench/alternate.ts): the options that say what
 * each side runs, and the table a comparison is read from. A wrong side or a
 * figure under the wrong side would turn a comparison around.
 */
describe('bench alternation', () => {
  it('gives each side its own directory and environment, and passes what follows -- to every run', () => {
    const options = parseAlternateOptions(
      ['--rounds', '4', '--scenarios', 'latency,latency-baseline', '--b', '/tmp/wt-base', '--b-env', 'SK_COMMIT_SPACING_MS=4', '--b-env', 'SK_X=a=b', '--', '--warmup', '5'],
      '/repo',
    );
    expect(options.rounds).toBe(4);
    expect(options.scenarios).toBe('latency,latency-baseline');
    expect(options.a).toEqual({ dir: '/repo', env: {} });
    // A value may hold '=' itself: only the first one splits.
    expect(options.b).toEqual({ dir: '/tmp/wt-base', env: { SK_COMMIT_SPACING_MS: '4', SK_X: 'a=b' } });
    expect(options.runArgs).toEqual(['--warmup', '5']);
  });

  it('without options compares this checkout with itself, which measures the noise', () => {
    const options = parseAlternateOptions([], '/repo');
    expect(options.a).toEqual(options.b);
    expect(options.rounds).toBeGreaterThan(1);
    expect(options.fields).toContain('p99Ms');
  });

  it('refuses bad values, naming each', () => {
    expect(() => parseAlternateOptions(['--rounds', '0', '--a-env', 'NOEQUALS'], '/repo')).toThrow(/--rounds[\s\S]*--a-env: expected NAME=value/);
    expect(() => parseAlternateOptions(['--unknown'], '/repo')).toThrow(/unknown/i);
  });

  it("reads a run's result lines, not its summary, its log lines or a line cut short", () => {
    const output = [
      'bench: node v20, 2 cores',
      '{"bench":"latency","target":"sunshine-kitchen","p99Ms":16.4,"serverCpuPct":66.5}',
      '  latency (2000 devices): p99 16.4 ms',
      '{"bench":"latency","target":"mosquitto","p99Ms":2.5}',
      '{"bench":"summary","ok":true,"latencyPubackP99Ms":16.4}',
      '{"bench":"fanout","target":"sunshine-k',
    ].join('\n');
    expect(resultLines(output).map((l) => `${l.bench}/${l.target}`)).toEqual(['latency/sunshine-kitchen', 'latency/mosquitto']);
  });

  it('puts every figure under its side and round, with the medians of each side', () => {
    const run = (p99: number, cpu: number) => [
      { bench: 'latency', target: 'sunshine-kitchen', p99Ms: p99, serverCpuPct: cpu, note: 'not a number' },
      { bench: 'latency', target: 'mosquitto', p99Ms: p99 / 10 },
    ];
    const fields = ['p99Ms', 'serverCpuPct', 'note'];
    // Given out of order, as a caller might collect them.
    const figures = [
      ...figuresOf('B', 2, run(20, 70), fields),
      ...figuresOf('A', 1, run(30, 90), fields),
      ...figuresOf('B', 1, run(15, 66), fields),
      ...figuresOf('A', 2, run(50, 98), fields),
      ...figuresOf('A', 3, run(40, 95), fields),
    ];
    const rows = compare(figures);
    const ours = rows.find((r) => r.line === 'latency/sunshine-kitchen' && r.field === 'p99Ms')!;
    expect(ours.a).toEqual([30, 50, 40]);
    expect(ours.b).toEqual([15, 20]);
    expect(ours.medianA).toBe(40);
    expect(ours.medianB).toBe(17.5);
    expect(rows.find((r) => r.line === 'latency/mosquitto')!.a).toEqual([3, 5, 4]);
    // A field that is not a number is left out rather than shown as a figure.
    expect(rows.some((r) => r.field === 'note')).toBe(false);
    const table = formatTable(rows);
    expect(table.split('\n')).toHaveLength(rows.length + 1);
    expect(table).toContain('30, 50, 40  |  15, 20');
    expect(table).toContain('40 / 17.5');
  });

  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
