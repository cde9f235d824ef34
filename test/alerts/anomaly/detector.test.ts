import { describe, expect, it } from 'vitest';
import { AnomalyDetector, parseSensitivity, sensitivityValue, type AnomalySignal } from '../../../alerts/anomaly/detector.js';
import type { FaultName } from '../../../simulators/models/index.js';
import { HOUR, simulate, T0, type Series } from './simulate.js';

/** Scores of a fresh detector over a series. */
function scores(series: Series, sensitivity: 'low' | 'medium' | 'high' = 'medium'): number[] {
  const d = new AnomalyDetector({ sensitivity });
  return series.t.map((t, i) => d.update(t, series.v[i] as number));
}

function maxBetween(series: Series, s: number[], fromH: number, toH: number): number {
  let max = 0;
  series.t.forEach((t, i) => {
    if (t >= T0 + fromH * HOUR && t < T0 + toH * HOUR) max = Math.max(max, s[i] as number);
  });
  return max;
}

describe('anomaly detector on normal cabinets', () => {
  it.each([
    ['chilled', 11],
    ['chilled', 12],
    ['frozen', 11],
    ['frozen', 12],
  ] as const)('%s seed %i: scores 0 in warm-up, then stays below the alarm level for a day (cycling, doors, defrosts)', (profile, seed) => {
    const series = simulate(profile, seed, 36);
    const s = scores(series);
    expect(maxBetween(series, s, 0, 11.9)).toBe(0);
    expect(maxBetween(series, s, 12, 36)).toBeLessThan(0.5);
  });
});

describe('anomaly detector on faults', () => {
  const cases: Array<[profile: 'chilled' | 'frozen', fault: FaultName, signals: AnomalySignal[]]> = [
    ['chilled', 'compressor_failure', ['cycling', 'level_shift']],
    ['chilled', 'door_left_open', ['cycling', 'level_shift']],
    ['chilled', 'sensor_stuck', ['flatline']],
    ['frozen', 'compressor_failure', ['cycling', 'level_shift']],
    ['frozen', 'defrost_stuck', ['cycling', 'level_shift']],
    ['frozen', 'sensor_stuck', ['flatline']],
  ];
  it.each(cases)('%s %s: the score crosses the alarm level within 2 h, driven by %j', (profile, fault, signals) => {
    const series = simulate(profile, 21, 22, { name: fault, atH: 20 });
    const d = new AnomalyDetector();
    let before = 0;
    let firstAlarm: { t: number; signal: AnomalySignal | null } | undefined;
    series.t.forEach((t, i) => {
      const score = d.update(t, series.v[i] as number);
      if (t < T0 + 20 * HOUR) before = Math.max(before, score);
      else if (score >= 0.5 && !firstAlarm) firstAlarm = { t, signal: d.explain().signal };
    });
    expect(before).toBeLessThan(0.5);
    expect(firstAlarm, 'no score >= 0.5 after the fault').toBeDefined();
    expect(signals).toContain(firstAlarm?.signal);
  });
});

describe('sensitivity', () => {
  it('maps names and numbers to [0, 1] and refuses anything else', () => {
    expect(sensitivityValue('medium')).toBe(0.5);
    expect(parseSensitivity(' high ')).toBe(0.75);
    expect(parseSensitivity('0.2')).toBe(0.2);
    expect(() => sensitivityValue(1.5)).toThrow(RangeError);
    expect(() => parseSensitivity('loud')).toThrow(RangeError);
    expect(() => new AnomalyDetector({ sensitivity: -0.1 })).toThrow(RangeError);
  });

  it('more sensitivity means more readings at or above the alarm level, on normal and faulty cabinets alike', () => {
    const traces = [
      simulate('chilled', 31, 30),
      simulate('frozen', 31, 30),
      simulate('chilled', 32, 24, { name: 'compressor_failure', atH: 20 }),
      simulate('frozen', 32, 24, { name: 'defrost_stuck', atH: 20 }),
    ];
    const above = (level: 'low' | 'medium' | 'high') =>
      traces.reduce((n, series) => n + scores(series, level).filter((x) => x >= 0.5).length, 0);
    const [low, medium, high] = [above('low'), above('medium'), above('high')];
    expect(low).toBeLessThanOrEqual(medium);
    expect(medium).toBeLessThanOrEqual(high);
    expect(high).toBeGreaterThan(low);
  });
});

describe('state', () => {
  it('snapshot → JSON → restore gives the same scores from then on', () => {
    const series = simulate('frozen', 41, 30, { name: 'defrost_stuck', atH: 27 });
    const a = new AnomalyDetector({ sensitivity: 'high' });
    const cut = series.t.findIndex((t) => t >= T0 + 20 * HOUR);
    for (let i = 0; i < cut; i++) a.update(series.t[i] as number, series.v[i] as number);
    const b = new AnomalyDetector({ sensitivity: 'high' });
    expect(b.restore(JSON.parse(JSON.stringify(a.snapshot())))).toBe(true);
    const rest = series.t.slice(cut);
    const sa = rest.map((t, j) => a.update(t, series.v[cut + j] as number));
    const sb = rest.map((t, j) => b.update(t, series.v[cut + j] as number));
    expect(sb).toEqual(sa);
    expect(Math.max(...sa)).toBeGreaterThan(0);
  });

  it('ignores a snapshot it does not understand and keeps its state', () => {
    const d = new AnomalyDetector();
    d.update(T0, 3);
    const before = d.snapshot();
    expect(d.restore({ n: 'x' })).toBe(false);
    expect(d.restore(null)).toBe(false);
    expect(d.snapshot()).toEqual(before);
  });

  it('does not grow with the number of readings', () => {
    const series = simulate('chilled', 51, 48);
    const d = new AnomalyDetector();
    const sizes: number[] = [];
    series.t.forEach((t, i) => {
      d.update(t, series.v[i] as number);
      if (i === 100 || i === series.t.length - 1) sizes.push(Object.keys(d.snapshot()).length, JSON.stringify(d.snapshot()).length);
    });
    const [keysEarly, bytesEarly, keysLate, bytesLate] = sizes as [number, number, number, number];
    expect(keysLate).toBe(keysEarly);
    // Same fields; only the digits of the numbers differ.
    expect(bytesLate).toBeLessThan(bytesEarly * 1.5);
    expect(Object.values(d.snapshot()).every((x) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
  });

  it('treats a reading not later than the previous one as no news', () => {
    const d = new AnomalyDetector({ warmupMs: 0, warmupReadings: 0 });
    d.update(T0, 3);
    d.update(T0 + 30_000, 3.1);
    const snap = d.snapshot();
    d.update(T0 + 30_000, 40);
    d.update(T0, -40);
    expect(d.snapshot()).toEqual(snap);
    expect(() => d.update(T0 + 60_000, Number.NaN)).toThrow(RangeError);
  });
});
