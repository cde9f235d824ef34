import { describe, expect, it } from 'vitest';
import { CN_CATERING, getRulePack, RULE_PACKS, resolveSettings, ruleOverridesSchema, RuleSettingsError, US_FOOD_CODE } from '../../../alerts/rules/index.js';

/** Every `{ value, source }` in a settings tree, with its path. */
function thresholds(node: unknown, path = ''): Array<{ path: string; value: unknown; source: unknown }> {
  if (typeof node !== 'object' || node === null) return [];
  if ('value' in node) return [{ path, value: (node as { value: unknown }).value, source: (node as { source?: unknown }).source }];
  return Object.entries(node).flatMap(([k, v]) => thresholds(v, path ? `${path}.${k}` : k));
}

function thrown(fn: () => unknown): RuleSettingsError | undefined {
  try {
    fn();
  } catch (e) {
    return e as RuleSettingsError;
  }
  return undefined;
}

describe('rule packs', () => {
  it.each(Object.values(RULE_PACKS))('$id@$version: every threshold carries a source', (pack) => {
    const all = thresholds(pack.settings);
    expect(all.length).toBeGreaterThan(15);
    for (const t of all) expect(typeof t.source === 'string' && t.source.length > 5, `${t.path} has no source`).toBe(true);
  });

  it('cn-catering and us-food-code carry their jurisdictions\' limits', () => {
    const cn = CN_CATERING.settings;
    const us = US_FOOD_CODE.settings;
    expect([cn.temperature.chilled.minC?.value, cn.temperature.chilled.maxC?.value]).toEqual([0, 8]);
    expect([cn.temperature.frozen.maxC?.value, cn.temperature.frozen.targetC?.value]).toEqual([-12, -18]);
    expect(cn.temperature.hot_holding.minC?.value).toBe(60);
    expect(cn.oil_effluent_high.maxMgL).toMatchObject({ value: 100, source: expect.stringMatching(/GB\/T 31962-2015/) });
    expect(us.temperature.chilled.maxC).toMatchObject({ value: 5, source: expect.stringMatching(/41 °F/) });
    expect(us.temperature.hot_holding.minC).toMatchObject({ value: 57, source: expect.stringMatching(/3-501\.16/) });
  });

  it('getRulePack finds packs by id and refuses an unknown one with a stable code', () => {
    expect(getRulePack('us-food-code')).toBe(US_FOOD_CODE);
    expect(() => getRulePack('toString')).toThrow(RuleSettingsError);
    expect(thrown(() => getRulePack('eu-haccp'))?.code).toBe('RULE_PACK_UNKNOWN');
  });
});

describe('overrides', () => {
  it('device wins over site wins over pack, and the result says where it came from', () => {
    const s = resolveSettings(
      CN_CATERING,
      { temperature: { chilled: { maxC: { value: 6 }, delayMin: 20 } }, door_open: { maxOpenMin: { value: 3 } } },
      { temperature: { chilled: { delayMin: 10 } } },
    );
    expect(s.temperature.chilled.maxC).toEqual({ value: 6, source: 'site override' });
    expect(s.temperature.chilled.delayMin).toBe(10);
    // Untouched parts keep the pack's values and sources.
    expect(s.temperature.chilled.minC).toEqual(CN_CATERING.settings.temperature.chilled.minC);
    expect(s.temperature.frozen).toEqual(CN_CATERING.settings.temperature.frozen);
    expect(s.door_open.maxOpenMin.value).toBe(3);
    expect(s.origin).toEqual({ pack: 'cn-catering@1', overrides: ['site', 'device'] });
    expect(resolveSettings(US_FOOD_CODE).origin).toEqual({ pack: 'us-food-code@1', overrides: [] });
  });

  it('an override can bring its own source, set a limit the pack leaves empty, or remove one', () => {
    const s = resolveSettings(CN_CATERING, undefined, {
      temperature: { frozen: { minC: { value: -40, source: 'manufacturer: blast freezer' } }, chilled: { minC: null } },
    });
    expect(s.temperature.frozen.minC).toEqual({ value: -40, source: 'manufacturer: blast freezer' });
    expect(s.temperature.chilled.minC).toBeNull();
  });

  it('effective settings are frozen and do not change the pack', () => {
    const s = resolveSettings(CN_CATERING, { battery_low: { belowPct: { value: 30 } } });
    expect(Object.isFrozen(s.battery_low.belowPct)).toBe(true);
    expect(CN_CATERING.settings.battery_low.belowPct.value).toBe(20);
  });

  it('the override schema accepts a partial and rejects unknown keys and wrong types', () => {
    expect(ruleOverridesSchema.safeParse({ temperature: { chilled: { maxC: { value: 7 } } } }).success).toBe(true);
    expect(ruleOverridesSchema.safeParse({ businessHours: { weekdays: { sun: null } } }).success).toBe(true);
    expect(ruleOverridesSchema.safeParse({}).success).toBe(true);
    const typo = ruleOverridesSchema.safeParse({ temperature: { chilled: { maxc: 7 } } });
    expect(typo.success).toBe(false);
    expect(JSON.stringify(typo.error?.issues)).toMatch(/maxc/);
    expect(ruleOverridesSchema.safeParse({ origin: { pack: 'x@1' } }).success).toBe(false);
    expect(ruleOverridesSchema.safeParse({ door_open: { severity: 'panic' } }).success).toBe(false);
    expect(ruleOverridesSchema.safeParse({ businessHours: { daily: { open: '25:00' } } }).success).toBe(false);
  });

  it('resolveSettings refuses invalid or inconsistent overrides with one error listing the problems', () => {
    expect(() => resolveSettings(CN_CATERING, { temperature: { chiled: {} } })).toThrow(/chiled/);
    // A threshold the pack leaves empty needs a value.
    expect(() => resolveSettings(CN_CATERING, undefined, { temperature: { frozen: { minC: { source: 'x' } } } })).toThrow(RuleSettingsError);
    const err = thrown(() => resolveSettings(CN_CATERING, { temperature: { chilled: { minC: { value: 9 } } }, danger_zone: { lowC: { value: 70 } } }));
    expect(err?.code).toBe('RULE_SETTINGS_INVALID');
    expect(err?.issues).toEqual(['temperature.chilled: minC must be below maxC', 'danger_zone: lowC must be below highC']);
  });
});
