import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../contracts/index.js';
import { createDeviceRules } from '../../../alerts/evaluation/device-rules.js';
import type { Rule } from '../../../alerts/evaluation/rule.js';
import { CN_CATERING, resolveSettings } from '../../../alerts/rules/index.js';
import { device, feedTemps, rulesFor, series, T0 } from './helpers.js';

const site = { id: 'site-1', timezone: 'Asia/Shanghai' };

describe('createDeviceRules', () => {
  it('picks the rules of the device kind and profile', () => {
    expect(rulesFor('temperature', 'frozen').ruleIds).toEqual(['no_data', 'device_offline', 'temperature_high', 'door_open', 'battery_low']);
    expect(rulesFor('temperature', 'chilled').ruleIds).toEqual(['no_data', 'device_offline', 'temperature_high', 'temperature_low', 'danger_zone', 'door_open', 'battery_low']);
    expect(rulesFor('temperature', 'hot_holding').ruleIds).toContain('temperature_low');
    expect(rulesFor('temperature', 'hot_holding').ruleIds).not.toContain('temperature_high');
    expect(rulesFor('oil_separator', 'oil_separator').ruleIds).toEqual([
      'no_data', 'device_offline', 'oil_fill_high', 'oil_overflow', 'oil_effluent_high', 'oil_pump_out_overdue', 'oil_full_forecast', 'battery_low',
    ]);
    expect(rulesFor('camera', 'camera').ruleIds).toEqual([
      'no_data', 'device_offline', 'camera_offline', 'camera_not_streaming', 'camera_lens_occluded', 'camera_lens_moved', 'camera_storage_low',
    ]);
  });

  it('leaves out disabled rules and null limits', () => {
    const r = rulesFor('temperature', 'chilled', { device: { door_open: { enabled: false }, temperature: { chilled: { minC: null } } } });
    expect(r.ruleIds).not.toContain('door_open');
    expect(r.ruleIds).not.toContain('temperature_low');
    expect(feedTemps(r, series(0, 60, 1, () => -5))).toEqual([]);
  });

  it('adds extra rules (the anomaly rule) and refuses a duplicate id', () => {
    const seen: number[] = [];
    const anomaly: Rule = {
      id: 'anomaly',
      reading: (r) => {
        seen.push(r.ts);
        return undefined;
      },
      insight: () => ({ anomalyScore: 0.1 }),
      snapshot: () => ({ n: seen.length }),
      restore: () => {
        throw new Error('an older format');
      },
    };
    const settings = resolveSettings(CN_CATERING);
    const rules = createDeviceRules({ device: device('temperature', 'chilled'), site }, settings, [anomaly]);
    feedTemps(rules, [[0, 4]]);
    expect(seen).toEqual([T0]);
    expect(rules.insights()).toMatchObject({ anomalyScore: 0.1, dangerZoneMinutes: 0 });
    expect(rules.snapshot().anomaly).toEqual({ n: 1 });
    // A rule that cannot read its old state starts fresh instead of breaking the device.
    expect(() => rules.restore({ anomaly: { v: 'old' } })).not.toThrow();
    const dup: Rule = { ...anomaly, id: 'door_open' };
    expect(() => createDeviceRules({ device: device('temperature', 'chilled'), site }, settings, [dup])).toThrow(/door_open/);
  });

  it('restores per rule: an unknown or malformed part is ignored, the rest is kept', () => {
    const before = rulesFor('temperature', 'chilled');
    feedTemps(before, series(0, 20, 1, () => 9));
    const snap = before.snapshot() as Record<string, unknown>;
    const after = rulesFor('temperature', 'chilled');
    after.restore({ ...snap, door_open: { garbage: true }, retired_rule: { x: 1 } });
    after.restore('not a snapshot');
    // The excursion that began at minute 0 survived: the delay is counted from then (fresh rules would wait until minute 51).
    const out: Condition[] = feedTemps(after, series(21, 31, 1, () => 9));
    expect(out.map((c) => [c.rule, c.at])).toEqual([['temperature_high', T0]]);
  });

  it('refuses a camera at a site with an unknown timezone', () => {
    expect(() => createDeviceRules({ device: device('camera', 'camera'), site: { id: 's', timezone: 'Mars/Olympus' } }, resolveSettings(CN_CATERING))).toThrow(RangeError);
  });
});
