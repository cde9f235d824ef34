import { describe, expect, it } from 'vitest';
import { createDeviceSchema, createRegionSchema, createSiteSchema, DEVICE_KINDS, ID_PATTERN } from '../../contracts/index.js';
import { demoPlan } from '../../simulators/demo-plan.js';

describe('demoPlan', () => {
  it('gives 20 sites with every device kind by default', () => {
    const plan = demoPlan({ seed: 1 });
    expect(plan.sites).toHaveLength(20);
    expect(new Set(plan.devices.map((d) => d.kind))).toEqual(new Set(DEVICE_KINDS));
    for (const site of plan.sites) {
      const devices = plan.devices.filter((d) => d.siteId === site.id);
      const count = (kind: string) => devices.filter((d) => d.kind === kind).length;
      expect(count('temperature')).toBeGreaterThanOrEqual(1);
      expect(count('temperature')).toBeLessThanOrEqual(3);
      expect(count('oil_separator')).toBe(1);
      expect(count('camera')).toBeGreaterThanOrEqual(1);
      expect(count('camera')).toBeLessThanOrEqual(2);
    }
    expect(plan.devices.some((d) => d.profile === 'frozen')).toBe(true);
  });

  it('builds a city → district → township tree and puts every site in a township', () => {
    const plan = demoPlan({ seed: 2, sites: 30 });
    const byId = new Map(plan.regions.map((r) => [r.id, r]));
    const cities = plan.regions.filter((r) => r.level === 'city');
    expect(cities).toHaveLength(1);
    expect(cities[0]?.parentId).toBeNull();
    const districts = plan.regions.filter((r) => r.level === 'district');
    expect(districts.length).toBe(2);
    for (const township of plan.regions.filter((r) => r.level === 'township')) {
      const district = byId.get(township.parentId as string);
      expect(district?.level).toBe('district');
      expect(byId.get(district?.parentId as string)?.level).toBe('city');
    }
    for (const district of districts) {
      const townships = plan.regions.filter((r) => r.parentId === district.id);
      expect(townships.length).toBeGreaterThanOrEqual(2);
      expect(townships.length).toBeLessThanOrEqual(3);
    }
    // Parents come before children, so the plan can be registered in order.
    plan.regions.forEach((r, i) => {
      if (r.parentId) expect(plan.regions.findIndex((p) => p.id === r.parentId)).toBeLessThan(i);
    });
    for (const site of plan.sites) expect(byId.get(site.regionId)?.level).toBe('township');
    const used = new Set(plan.sites.map((s) => s.regionId));
    expect(used.size).toBe(plan.regions.filter((r) => r.level === 'township').length);
  });

  it('is accepted by the registration API schemas, with unique ids and names', () => {
    const plan = demoPlan({ seed: 3, sites: 200 });
    for (const r of plan.regions) expect(createRegionSchema.safeParse(r).success).toBe(true);
    for (const s of plan.sites) expect(createSiteSchema.safeParse(s).success).toBe(true);
    for (const d of plan.devices) expect(createDeviceSchema.safeParse(d).success).toBe(true);
    const ids = [...plan.regions, ...plan.sites, ...plan.devices].map((x) => x.id);
    expect(ids.every((id) => ID_PATTERN.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(plan.sites.map((s) => s.name)).size).toBe(plan.sites.length);
    // Names are for people: Chinese, not pinyin ids.
    expect(plan.sites.every((s) => /[\u4e00-\u9fff]/.test(s.name))).toBe(true);
    expect(plan.devices.every((d) => /[\u4e00-\u9fff]/.test(d.label))).toBe(true);
  });

  it('is the same plan for the same seed, and another for another seed', () => {
    expect(demoPlan({ seed: 5 })).toEqual(demoPlan({ seed: 5 }));
    expect(demoPlan({ seed: 5 })).not.toEqual(demoPlan({ seed: 6 }));
  });
});
