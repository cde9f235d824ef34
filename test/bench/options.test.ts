import { describe, expect, it } from 'vitest';
import { HELP, parseOptions } from '../../bench/options.js';

/** Every `--name <value>` option the help text lists. */
const documented = [...HELP.matchAll(/^ {2}--([a-z-]+) <[^>]+>/gm)].map((m) => m[1]!);

describe('bench options', () => {
  it('lists options in its help', () => {
    expect(documented).toContain('latency-stored');
    expect(documented.length).toBeGreaterThan(20);
  });

  /** Options whose value is any text (a directory): there is no bad value to refuse. */
  const PATHS: Record<string, keyof ReturnType<typeof parseOptions>> = { 'data-dir': 'dataDir', profile: 'profile' };

  it.each(documented)('takes --%s as a flag and as an SK_BENCH_ variable', (name) => {
    const env = `SK_BENCH_${name.replace(/-/g, '_').toUpperCase()}`;
    const path = PATHS[name];
    if (path) {
      expect(parseOptions([`--${name}`, '/tmp/x'], {})[path]).toBe('/tmp/x');
      expect(parseOptions([], { [env]: '/tmp/y' })[path]).toBe('/tmp/y');
      return;
    }
    // Not a value any other option takes: each must be read (not ignored) and refused, by its name.
    const named = new RegExp(`bad bench options:\\n\\s+--${name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}[.:]`);
    expect(() => parseOptions([`--${name}=-1x`], {})).toThrow(named);
    expect(() => parseOptions([], { [env]: '-1x' })).toThrow(named);
  });

  it('reads the readings stored before the latency run from a flag, the environment or the default', () => {
    expect(parseOptions(['--latency-stored', '0'], {}).latencyStored).toBe(0);
    expect(parseOptions([], { SK_BENCH_LATENCY_STORED: '5000' }).latencyStored).toBe(5_000);
    expect(parseOptions(['--latency-stored', '7'], { SK_BENCH_LATENCY_STORED: '5000' }).latencyStored).toBe(7);
    expect(parseOptions([], {}).latencyStored).toBe(1_000_000);
    expect(parseOptions(['--smoke'], {}).latencyStored).toBe(2_000);
  });
});
