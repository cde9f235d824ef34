import { describe, expect, it } from 'vitest';
import type { Condition, FieldValues } from '../../../contracts/index.js';
import { CN_CATERING } from '../../../alerts/rules/index.js';
import { GreaseTrap } from '../../../simulators/models/index.js';
import { DAY, HOUR, MIN, only, rec, rulesFor, T0 } from './helpers.js';

const S = CN_CATERING.settings;
const LEVEL = S.oil_fill_high.pumpOutAtPct.value;

function trap() {
  const rules = rulesFor('oil_separator', 'oil_separator');
  const feed = (ts: number, values: FieldValues) => rules.reading(rec('oil_separator', ts, values));
  return { rules, feed };
}

describe('oil separator rules', () => {
  it('oil_fill_high: due at the pump-out level itself, cleared only below it by the deadband', () => {
    const { feed } = trap();
    expect(only(feed(T0, { fillPct: LEVEL - 0.1 }), 'oil_fill_high')).toEqual([]);
    expect(only(feed(T0 + MIN, { fillPct: LEVEL }), 'oil_fill_high').map((c) => [c.active, c.limit])).toEqual([[true, LEVEL]]);
    expect(only(feed(T0 + 2 * MIN, { fillPct: LEVEL - 1 }), 'oil_fill_high')).toEqual([]);
    expect(only(feed(T0 + 3 * MIN, { fillPct: LEVEL - S.oil_fill_high.deadbandPct - 0.5 }), 'oil_fill_high').map((c) => c.active)).toEqual([false]);
  });

  it('oil_overflow: critical at once, clears when the switch resets', () => {
    const { feed } = trap();
    expect(only(feed(T0, { overflow: true }), 'oil_overflow').map((c) => [c.active, c.severity, c.at])).toEqual([[true, 'critical', T0]]);
    expect(only(feed(T0 + MIN, { overflow: false }), 'oil_overflow').map((c) => c.active)).toEqual([false]);
  });

  it('oil_effluent_high: a short cloudy spell passes; a sustained one raises from its start', () => {
    const { feed } = trap();
    const limit = S.oil_effluent_high.maxMgL.value;
    const out = [];
    for (let m = 0; m <= 120; m += 5) out.push(...only(feed(T0 + m * MIN, { effluentOilMgL: m >= 10 && m < 25 ? 180 : m >= 50 ? 140 : 40 }), 'oil_effluent_high'));
    expect(out.map((c) => [c.active, c.at, c.limit])).toEqual([[true, T0 + 50 * MIN, limit]]);
    expect(out[0]!.detail?.source).toMatch(/GB\/T 31962-2015/);
  });

  it('oil_pump_out_overdue: raises on a tick when the last pump-out is too old, dated when it fell due, clears after a pump-out', () => {
    const { feed, rules } = trap();
    const days = S.oil_pump_out_overdue.maxDays.value;
    const last = T0 - (days - 1) * DAY;
    expect(only(feed(T0, { fillPct: 10, lastPumpOutTs: last }), 'oil_pump_out_overdue')).toEqual([]);
    expect(only(rules.tick(T0 + DAY - MIN), 'oil_pump_out_overdue')).toEqual([]);
    const raised = only(rules.tick(T0 + DAY + MIN), 'oil_pump_out_overdue');
    expect(raised.map((c) => [c.active, c.at, c.limit])).toEqual([[true, last + days * DAY, days]]);
    const pumped = T0 + 2 * DAY;
    expect(only(feed(pumped, { fillPct: 1, lastPumpOutTs: pumped }), 'oil_pump_out_overdue').map((c) => [c.active, c.at])).toEqual([[false, pumped]]);
  });

  it('oil_pump_out_overdue: a trap that does not report lastPumpOutTs is judged from a sharp fill drop', () => {
    const { feed, rules } = trap();
    feed(T0, { fillPct: 20 });
    // Unknown: nothing to judge yet, however long.
    expect(only(rules.tick(T0 + 400 * DAY), 'oil_pump_out_overdue')).toEqual([]);
    feed(T0 + HOUR, { fillPct: 2 });
    const days = S.oil_pump_out_overdue.maxDays.value;
    expect(only(rules.tick(T0 + HOUR + days * DAY + MIN), 'oil_pump_out_overdue').map((c) => c.at)).toEqual([T0 + HOUR + days * DAY]);
  });
});

describe('oil_full_forecast', () => {
  const RATE = 1.5; // % of depth per day
  const START = 4;
  /** A trap filling steadily with a daily rhythm (nothing at night), readings every 15 min. */
  const fillAt = (t: number) => {
    const days = (t - T0) / DAY;
    const whole = Math.floor(days);
    const part = Math.min(1, Math.max(0, (days - whole - 7 / 24) / (15 / 24)));
    return Math.round((START + RATE * (whole + part)) * 10) / 10;
  };
  const truthFullAt = T0 + ((LEVEL - START) / RATE) * DAY;

  it('forecasts when a steadily filling trap reaches the pump-out level, and raises within the horizon', () => {
    const { feed, rules } = trap();
    const f = S.oil_full_forecast;
    let raised: Condition | undefined;
    let insightAtRaise: Record<string, unknown> = {};
    for (let t = T0; t <= T0 + 13 * DAY; t += 15 * MIN) {
      const c = only(feed(t, { fillPct: fillAt(t) }), 'oil_full_forecast')[0];
      if (c?.active && !raised) {
        raised = c;
        insightAtRaise = rules.insights();
      }
      if (t === T0 + DAY) expect(rules.insights()).toMatchObject({ fillRatePctPerDay: null, forecastFullAt: null });
    }
    expect(raised).toBeDefined();
    // It raised when the forecast came within the horizon: about horizonDays before the truth (± a day for the daily rhythm).
    expect(Math.abs(truthFullAt - raised!.at - f.horizonDays * DAY)).toBeLessThan(DAY);
    expect(insightAtRaise.fillRatePctPerDay as number).toBeGreaterThan(RATE * 0.8);
    expect(insightAtRaise.fillRatePctPerDay as number).toBeLessThan(RATE * 1.2);
    expect(Math.abs((insightAtRaise.forecastFullAt as number) - truthFullAt)).toBeLessThan(DAY);
  });

  it('a pump-out clears the forecast and restarts the estimator', () => {
    const { feed, rules } = trap();
    let t = T0;
    for (; t <= T0 + 11 * DAY; t += 15 * MIN) feed(t, { fillPct: fillAt(t), lastPumpOutTs: T0 - 5 * DAY });
    expect(rules.insights().forecastFullAt).not.toBeNull();
    const out = only(feed(t, { fillPct: 1.2, lastPumpOutTs: t - 30 * MIN }), 'oil_full_forecast');
    expect(out.map((c) => [c.active, c.at])).toEqual([[false, t]]);
    expect(rules.insights()).toMatchObject({ fillPct: 1.2, fillRatePctPerDay: null, forecastFullAt: null });
    // Slow filling after the pump-out: a new, slower rate and no alarm.
    let later: number | null = null;
    for (let u = t + 15 * MIN; u <= t + 4 * DAY; u += 15 * MIN) {
      expect(only(feed(u, { fillPct: 1.2 + 0.5 * ((u - t) / DAY), lastPumpOutTs: t - 30 * MIN }), 'oil_full_forecast')).toEqual([]);
      later = rules.insights().fillRatePctPerDay as number | null;
    }
    expect(later).toBeCloseTo(0.5, 1);
  });

  it('a simulated grease trap gets a forecast within a few days', () => {
    const sim = new GreaseTrap(7);
    const { feed, rules } = trap();
    for (let t = T0; t <= T0 + 5 * DAY; t += 5 * MIN) feed(t, sim.sample(t)!);
    const i = rules.insights();
    expect(i.fillRatePctPerDay as number).toBeGreaterThan(1);
    expect(i.fillRatePctPerDay as number).toBeLessThan(3);
  });
});
