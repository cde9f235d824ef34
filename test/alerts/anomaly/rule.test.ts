import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../contracts/index.js';
import { createAnomalyRule, type AnomalyRuleOptions } from '../../../alerts/anomaly/rule.js';
import { Random } from '../../../simulators/random.js';
import { HOUR, MINUTE, record, simulate, STEP, T0, target, type Series } from './simulate.js';

interface Event {
  t: number;
  score: number;
  condition?: Condition;
}

function drive(series: Series, options: AnomalyRuleOptions = {}): Event[] {
  const rule = createAnomalyRule(target('chilled'), options);
  return series.t.map((t, i) => {
    const condition = rule.reading(record(t, series.v[i] as number, i));
    return { t, score: rule.explain().score, ...(condition ? { condition } : {}) };
  });
}

/**
 * A synthetic fridge: a 30 min saw-tooth between 2 and 5 °C with probe noise,
 * then (between `flatFromH` and `flatToH`) a probe stuck at one value.
 */
function sawTooth(hours: number, flatFromH: number, flatToH: number): Series {
  const rng = new Random(7);
  const out: Series = { t: [], v: [] };
  let stuck: number | undefined;
  for (let t = T0; t <= T0 + hours * HOUR; t += STEP) {
    const phase = ((t - T0) % (30 * MINUTE)) / (30 * MINUTE);
    const clean = phase < 2 / 3 ? 2 + 4.5 * phase : 5 - 9 * (phase - 2 / 3);
    const fresh = Math.round((clean + rng.normal(0, 0.05)) * 10) / 10;
    const flat = t >= T0 + flatFromH * HOUR && t < T0 + flatToH * HOUR;
    stuck = flat ? (stuck ?? fresh) : undefined;
    out.t.push(t);
    out.v.push(stuck ?? fresh);
  }
  return out;
}

const QUICK: AnomalyRuleOptions = { detector: { warmupMs: 3 * HOUR, warmupReadings: 60 } };

describe('anomaly rule', () => {
  it('raises once the score has stayed at the alarm level for the hold time, and reports the flat line', () => {
    const events = drive(sawTooth(8, 5, 8), { ...QUICK, raiseHoldMs: 10 * MINUTE });
    const raised = events.filter((e) => e.condition?.active);
    expect(raised).toHaveLength(1);
    const at = events.indexOf(raised[0] as Event);
    // Every reading from the condition's start to its report scored at or above 0.5, for at least the hold.
    const startIdx = events.findIndex((e) => e.t === raised[0]?.condition?.at);
    expect(startIdx).toBeGreaterThan(0);
    expect(events[startIdx - 1]?.score).toBeLessThan(0.5);
    expect(events.slice(startIdx, at + 1).every((e) => e.score >= 0.5)).toBe(true);
    expect((events[at]?.t as number) - (events[startIdx]?.t as number)).toBeGreaterThanOrEqual(10 * MINUTE);
    expect((events[at - 1]?.t as number) - (events[startIdx]?.t as number)).toBeLessThan(10 * MINUTE);
    expect(raised[0]?.condition).toMatchObject({ rule: 'anomaly', active: true, severity: 'warning', limit: 0.5 });
    expect(raised[0]?.condition?.detail?.signal).toBe('flatline');
    expect(raised[0]?.condition?.value).toBeGreaterThanOrEqual(0.5);
  });

  it('a longer hold raises later on the same data', () => {
    const series = sawTooth(8, 5, 8);
    const raisedAt = (holdMin: number) => drive(series, { ...QUICK, raiseHoldMs: holdMin * MINUTE }).find((e) => e.condition?.active)?.t;
    const early = raisedAt(5) as number;
    const late = raisedAt(40) as number;
    expect(early).toBeDefined();
    expect(late - early).toBeGreaterThanOrEqual(35 * MINUTE);
  });

  it('clears only after the score has stayed below the clear level for the clear hold (hysteresis)', () => {
    const events = drive(sawTooth(12, 5, 7), { ...QUICK, clearHoldMs: 30 * MINUTE });
    const conditions = events.filter((e) => e.condition).map((e) => e.condition as Condition);
    expect(conditions.map((c) => c.active)).toEqual([true, false]);
    const clearedIdx = events.findIndex((e) => e.condition && !e.condition.active);
    const startIdx = events.findIndex((e) => e.t === conditions[1]?.at);
    expect(events.slice(startIdx, clearedIdx + 1).every((e) => e.score < 0.25)).toBe(true);
    expect(events[startIdx - 1]?.score).toBeGreaterThanOrEqual(0.25);
    expect((events[clearedIdx]?.t as number) - (events[startIdx]?.t as number)).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(conditions[1]?.detail?.peakScore).toBeGreaterThanOrEqual(0.5);
  });

  it('stays quiet on a normal simulated fridge and freezer for a day after warm-up', () => {
    for (const profile of ['chilled', 'frozen'] as const) {
      const rule = createAnomalyRule(target(profile), { sensitivity: 'medium' });
      const series = simulate(profile, 61, 36);
      const conditions = series.t.map((t, i) => rule.reading(record(t, series.v[i] as number, i))).filter(Boolean);
      expect(conditions, profile).toEqual([]);
    }
  });

  it('raises on a broken compressor before the plain 8 °C limit would have been passed for 15 minutes', () => {
    const series = simulate('chilled', 62, 24, { name: 'compressor_failure', atH: 20 });
    const raised = drive(series).find((e) => e.condition?.active);
    expect(raised).toBeDefined();
    const firstAbove8 = series.t.find((t, i) => t >= T0 + 20 * HOUR && (series.v[i] as number) > 8) as number;
    expect(raised?.t).toBeLessThan(firstAbove8 + 15 * MINUTE);
  });

  it('restores its state: the same conditions follow from a snapshot', () => {
    const series = sawTooth(10, 5, 7);
    const a = createAnomalyRule(target(), QUICK);
    const cut = series.t.findIndex((t) => t >= T0 + 5.5 * HOUR);
    for (let i = 0; i < cut; i++) a.reading(record(series.t[i] as number, series.v[i] as number, i));
    const b = createAnomalyRule(target(), QUICK);
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    const rest = (r: typeof a) => series.t.slice(cut).map((t, j) => r.reading(record(t, series.v[cut + j] as number, cut + j)));
    const fromA = rest(a);
    expect(rest(b)).toEqual(fromA);
    expect(fromA.filter(Boolean).length).toBeGreaterThan(0);
  });

  it('ignores readings without a temperature, and refuses devices that are not temperature sensors', () => {
    const rule = createAnomalyRule(target());
    expect(rule.reading({ ...record(T0, 0), values: { doorOpen: true } })).toBeUndefined();
    expect(rule.snapshot().detector.n).toBe(0);
    expect(() => createAnomalyRule(target('chilled', 'camera'))).toThrow(RangeError);
    expect(() => createAnomalyRule(target(), { raiseScore: 0.2, clearScore: 0.3 })).toThrow(RangeError);
  });
});
