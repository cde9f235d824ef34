import { describe, expect, it } from 'vitest';
import { CN_CATERING, US_FOOD_CODE } from '../../../alerts/rules/index.js';
import { feedTemps, MIN, only, rulesFor, series, T0 } from './helpers.js';

const dz = CN_CATERING.settings.danger_zone;
const WARN = dz.warningAfterMin.value;
const CRIT = dz.criticalAfterMin.value;

describe('danger_zone (cumulative time between the limits)', () => {
  it('a hot-holding cabinet that cools into the zone raises at 2 h and upgrades to critical at 4 h', () => {
    const rules = rulesFor('temperature', 'hot_holding');
    // 65 °C, then 45 °C from minute 10: every minute from then on counts.
    const out = only(feedTemps(rules, series(0, 10 + CRIT + 5, 1, (m) => (m < 10 ? 65 : 45))), 'danger_zone');
    expect(out.map((c) => [c.active, c.severity, c.at, c.value])).toEqual([
      [true, 'warning', T0 + 10 * MIN, WARN],
      [true, 'critical', T0 + 10 * MIN, CRIT],
    ]);
    expect(out[1]!.detail).toMatchObject({ minutes: CRIT, lowC: 8, highC: 60 });
    expect(out[1]!.message).toMatch(/discard/);
    expect(rules.insights()).toMatchObject({ dangerZoneMinutes: CRIT + 5 });
  });

  it('is cumulative: short spells in the zone add up', () => {
    const rules = rulesFor('temperature', 'chilled');
    // 20 min at 12 °C in every hour (normal delay of the high-temperature rule passes each time), 40 min back at 4 °C.
    const spells = series(0, 8 * 60, 1, (m) => (m % 60 < 20 ? 12 : 4));
    const out = only(feedTemps(rules, spells), 'danger_zone');
    expect(out).toHaveLength(1);
    // 2 h of zone time collected at 20 min an hour: during the 7th hour.
    expect(out[0]!.at).toBe(T0);
    expect(out[0]!.detail?.minutes).toBe(WARN);
  });

  it('resets after the product has been back in the safe range for resetAfterMin, and not before', () => {
    const rules = rulesFor('temperature', 'hot_holding');
    const warm = series(0, WARN + 10, 1, () => 45);
    expect(only(feedTemps(rules, warm), 'danger_zone').map((c) => c.active)).toEqual([true]);
    // Back to 65 °C: still active until the reset time has passed.
    const back = WARN + 11;
    expect(only(feedTemps(rules, series(back, back + dz.resetAfterMin - 1, 1, () => 65)), 'danger_zone')).toEqual([]);
    const reset = only(feedTemps(rules, [[back + dz.resetAfterMin, 65]]), 'danger_zone');
    expect(reset.map((c) => [c.active, c.at])).toEqual([[false, T0 + (back + dz.resetAfterMin) * MIN]]);
    expect(rules.insights()).toMatchObject({ dangerZoneMinutes: 0 });
    // A new spell starts from zero: 1 h more does not raise.
    expect(only(feedTemps(rules, series(back + dz.resetAfterMin + 1, back + dz.resetAfterMin + 61, 1, () => 45)), 'danger_zone')).toEqual([]);
  });

  it('a short return to safety does not reset the clock', () => {
    const rules = rulesFor('temperature', 'hot_holding');
    const pts = [...series(0, 90, 1, () => 45), ...series(91, 100, 1, () => 65), ...series(101, 140, 1, () => 45)];
    const out = only(feedTemps(rules, pts), 'danger_zone');
    // 90 + 40 min in the zone passes 2 h although a 10-min hot spell was in between.
    expect(out.map((c) => [c.active, c.at])).toEqual([[true, T0]]);
  });

  it('does not apply to frozen, and a compliant chilled cabinet never accumulates', () => {
    expect(rulesFor('temperature', 'frozen').ruleIds).not.toContain('danger_zone');
    const fridge = rulesFor('temperature', 'chilled');
    expect(only(feedTemps(fridge, series(0, 10 * 60, 1, (m) => 3 + 2.5 * Math.sin(m / 10))), 'danger_zone')).toEqual([]);
    expect(fridge.insights()).toMatchObject({ dangerZoneMinutes: 0 });
  });

  it('under the FDA Food Code the zone starts above 5 °C (41 °F)', () => {
    const us = US_FOOD_CODE.settings.danger_zone;
    const rules = rulesFor('temperature', 'chilled', { pack: US_FOOD_CODE });
    const out = only(feedTemps(rules, series(0, WARN + 1, 1, () => 6)), 'danger_zone');
    expect(us.lowC.value).toBe(5);
    expect(out.map((c) => c.active)).toEqual([true]);
    expect(out[0]!.detail?.source).toMatch(/3-501\.19/);
  });
});
