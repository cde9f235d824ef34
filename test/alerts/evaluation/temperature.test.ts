import { describe, expect, it } from 'vitest';
import { CN_CATERING, US_FOOD_CODE } from '../../../alerts/rules/index.js';
import { feedTemps, HOUR, MIN, only, rec, rulesFor, series, T0 } from './helpers.js';

const chilled = CN_CATERING.settings.temperature.chilled;
const MAX = chilled.maxC!.value;
const DELAY = chilled.delayMin;

describe('temperature_high with a delay (cn-catering chilled)', () => {
  it('a 10-minute door opening does not alarm', () => {
    const rules = rulesFor('temperature', 'chilled');
    // 4 °C, the door opens at minute 30 and the air climbs to 10 °C, back under 8 °C ten minutes later.
    const temps = series(0, 120, 1, (m) => (m >= 30 && m < 40 ? 9 + (m - 30) * 0.1 : 4));
    expect(feedTemps(rules, temps)).toEqual([]);
  });

  it('a 40-minute excursion alarms once, dated from its start, and clears when back', () => {
    const rules = rulesFor('temperature', 'chilled');
    const out = feedTemps(rules, series(0, 120, 1, (m) => (m >= 30 && m < 70 ? MAX + 1.5 : 4)));
    const high = only(out, 'temperature_high');
    expect(high.map((c) => [c.active, c.severity, c.at])).toEqual([
      [true, 'warning', T0 + 30 * MIN],
      [false, 'warning', T0 + 70 * MIN],
    ]);
    expect(high[0]!.limit).toBe(MAX);
    expect(high[0]!.message).toMatch(/above the limit of 8 °C/);
    // It raised when the delay had passed, not before: nothing came out before minute 30 + delay.
    const early = rulesFor('temperature', 'chilled');
    expect(feedTemps(early, series(0, 30 + DELAY - 1, 1, (m) => (m >= 30 ? MAX + 1.5 : 4)))).toEqual([]);
  });

  it('a reading hovering around the limit alarms once, does not flap, and clears only past the deadband', () => {
    const rules = rulesFor('temperature', 'chilled');
    // 8.2, 7.8, 8.2, 7.8 … for 100 min: never continuously above 8 °C, but never back by the 0.5 °C deadband.
    const hover = series(0, 100, 1, (m) => (m % 2 === 0 ? MAX + 0.2 : MAX - 0.2));
    const out = feedTemps(rules, hover);
    expect(out.map((c) => [c.rule, c.active, c.at])).toEqual([['temperature_high', true, T0]]);
    // 7.6 °C is inside the limit but within the deadband: still active.
    expect(feedTemps(rules, [[101, MAX - 0.4]])).toEqual([]);
    const cleared = feedTemps(rules, [[102, MAX - chilled.deadbandC - 0.1]]);
    expect(cleared.map((c) => [c.active, c.at])).toEqual([[false, T0 + 102 * MIN]]);
  });

  it('one reading in the deadband does not end a pending excursion, but does not raise by itself', () => {
    const rules = rulesFor('temperature', 'chilled');
    // Above from 0 to DELAY-1, then in the deadband: no alarm while the readings stay below the limit.
    const out = feedTemps(rules, [...series(0, DELAY - 1, 1, () => MAX + 1), ...series(DELAY, DELAY + 60, 1, () => MAX - 0.2)]);
    expect(out).toEqual([]);
    // The next reading above the limit raises, dated from the first one.
    expect(feedTemps(rules, [[DELAY + 61, MAX + 0.1]]).map((c) => c.at)).toEqual([T0]);
  });

  it('upgrades to critical past the critical limit after the shorter delay, keeping the start', () => {
    const rules = rulesFor('temperature', 'chilled');
    const crit = chilled.criticalMaxC!.value;
    // 9 °C from minute 0, 14 °C from minute 35 on.
    const out = feedTemps(rules, series(0, 60, 1, (m) => (m < 35 ? 9 : crit + 2)));
    expect(out.map((c) => [c.active, c.severity, c.at])).toEqual([
      [true, 'warning', T0],
      [true, 'critical', T0],
    ]);
    // The upgrade came criticalDelayMin after the critical level was crossed.
    const upgrade = feedTemps(rulesFor('temperature', 'chilled'), series(0, 35 + chilled.criticalDelayMin - 1, 1, (m) => (m < 35 ? 9 : crit + 2)));
    expect(upgrade.map((c) => c.severity)).toEqual(['warning']);
  });

  it('a big excursion raises critical straight away, before the normal delay', () => {
    const out = feedTemps(rulesFor('temperature', 'chilled'), series(0, 20, 1, () => chilled.criticalMaxC!.value + 3));
    expect(out.map((c) => [c.severity, c.at])).toEqual([['critical', T0]]);
  });

  it('a long excursion becomes critical by its duration', () => {
    const out = feedTemps(rulesFor('temperature', 'chilled'), series(0, chilled.criticalAfterMin! + 5, 5, () => MAX + 1));
    expect(only(out, 'temperature_high').map((c) => [c.severity, c.at])).toEqual([
      ['warning', T0],
      ['critical', T0],
    ]);
  });

  it('judges late batched readings by their device time and ignores older ones', () => {
    const rules = rulesFor('temperature', 'chilled');
    // A buffered hour arrives in one batch, 2 h late: it alarms, dated when it happened.
    const batch = series(0, 60, 1, (m) => (m >= 10 ? MAX + 2 : 4)).map(([m, c]) => rec('temperature', T0 + m * MIN, { temperatureC: c }, 2 * HOUR));
    const out = batch.flatMap((r) => rules.reading(r));
    expect(out.map((c) => [c.active, c.at])).toEqual([[true, T0 + 10 * MIN]]);
    // A resend of an old, normal reading does not end the excursion.
    expect(rules.reading(rec('temperature', T0 + 5 * MIN, { temperatureC: 4 }))).toEqual([]);
    expect(feedTemps(rules, [[61, 4]]).map((c) => c.active)).toEqual([false]);
  });

  it('temperature_low uses the lower limit; readings without a temperature decide nothing', () => {
    const rules = rulesFor('temperature', 'chilled');
    expect(rules.reading(rec('temperature', T0, { doorOpen: false }))).toEqual([]);
    const out = feedTemps(rules, series(0, 40, 1, () => chilled.minC!.value - 1));
    expect(out.map((c) => [c.rule, c.active, c.limit])).toEqual([['temperature_low', true, 0]]);
  });

  it('hot holding alarms below its floor: 60 °C in China, 57 °C under the FDA Food Code', () => {
    const at58 = series(0, 40, 1, () => 58);
    expect(only(feedTemps(rulesFor('temperature', 'hot_holding'), at58), 'temperature_low').map((c) => c.limit)).toEqual([60]);
    expect(only(feedTemps(rulesFor('temperature', 'hot_holding', { pack: US_FOOD_CODE }), at58), 'temperature_low')).toEqual([]);
  });
});

describe('snapshot and restore', () => {
  it('mid-excursion gives the same verdicts as an uninterrupted run', () => {
    const temps = series(0, 200, 1, (m) => (m >= 20 && m < 150 ? (m < 90 ? 9 : 14) : m < 160 ? 7.8 : 4));
    const whole = feedTemps(rulesFor('temperature', 'chilled'), temps);
    expect(whole.length).toBeGreaterThanOrEqual(3);
    for (const cut of [25, 60, 95, 155]) {
      const before = rulesFor('temperature', 'chilled');
      const first = feedTemps(before, temps.slice(0, cut));
      const after = rulesFor('temperature', 'chilled');
      after.restore(JSON.parse(JSON.stringify(before.snapshot())));
      expect([...first, ...feedTemps(after, temps.slice(cut))]).toEqual(whole);
    }
  });

  it('at rest, a snapshot minutes older than the cut gives the same verdicts: why state at rest may be saved lazily', () => {
    // Excursions (warm with the danger zone, critical, then too cold) between quiet stretches at 4 °C.
    const temps = series(0, 520, 1, (m) =>
      m >= 60 && m < 140 ? 9 : m >= 220 && m < 260 ? 14 : m >= 400 && m < 460 ? -2 : 4 + Math.sin(m / 7) * 0.5,
    );
    const whole = feedTemps(rulesFor('temperature', 'chilled'), temps);
    expect(whole.length).toBeGreaterThanOrEqual(3);
    // After each reading: a snapshot if every rule is at rest, else undefined.
    const probe = rulesFor('temperature', 'chilled');
    const restingSnapshots = temps.map((point) => (feedTemps(probe, [point]), probe.atRest() ? JSON.stringify(probe.snapshot()) : undefined));
    const stale = 10;
    let checked = 0;
    for (let cut = stale + 1; cut < temps.length; cut++) {
      // At rest from `cut - stale` to the cut: the store may hold the older snapshot.
      if (restingSnapshots.slice(cut - 1 - stale, cut).some((snap) => snap === undefined)) continue;
      const first = feedTemps(rulesFor('temperature', 'chilled'), temps.slice(0, cut));
      const after = rulesFor('temperature', 'chilled');
      after.restore(JSON.parse(restingSnapshots[cut - 1 - stale]!));
      expect([...first, ...feedTemps(after, temps.slice(cut))]).toEqual(whole);
      checked++;
    }
    // Both kinds of cut occur: quiet ones checked, and excursions (and the danger-zone clock) not at rest.
    expect(checked).toBeGreaterThan(100);
    expect(restingSnapshots.filter((snap) => snap === undefined).length).toBeGreaterThan(100);
  });

  it('without a restore, the same cut loses the excursion start (the test above can fail)', () => {
    const temps = series(0, 60, 1, (m) => (m >= 20 ? 9 : 4));
    const fresh = rulesFor('temperature', 'chilled');
    feedTemps(fresh, temps.slice(0, 25));
    const restarted = rulesFor('temperature', 'chilled');
    expect(feedTemps(restarted, temps.slice(25))).not.toEqual(feedTemps(fresh, temps.slice(25)));
  });
});
