import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertEventSchema, alertSchema, type Alert } from '../../contracts/index.js';
import type { NewAlert, SiteScope, Store } from '../../store/index.js';
import { seedTree, type StoreHandle } from './store-contract.js';

const T0 = Date.UTC(2024, 5, 1, 8, 0, 0);
const MIN = 60_000;

/** A freshly raised alert on a device of a site, open, nothing done yet. */
export function newAlert(deviceId: string, siteId: string, extra: Partial<NewAlert> = {}): NewAlert {
  return {
    deviceId,
    siteId,
    rule: 'temperature_high',
    category: 'condition',
    severity: 'warning',
    state: 'open',
    raisedAt: T0,
    createdAt: T0 + MIN,
    lastSeenAt: T0,
    clearedAt: null,
    value: 9.4,
    limit: 8,
    message: 'temperature above 8 °C for 30 min',
    detail: { limitC: 8, delayMin: 30 },
    occurrences: 1,
    acknowledgedAt: null,
    acknowledgedBy: null,
    assignee: null,
    resolvedAt: null,
    resolvedBy: null,
    resolution: null,
    correctiveAction: null,
    verdict: null,
    escalation: 'township',
    flapping: false,
    notifications: 0,
    notifiedAt: null,
    updatedAt: T0 + MIN,
    ...extra,
  };
}

const raised = { at: T0 + MIN, actor: 'system', type: 'raised' as const };

/** The alert part of the store contract: run by every adapter next to {@link describeStoreContract}. */
export function describeAlertStoreContract(name: string, open: () => Promise<StoreHandle>): void {
  describe(`alert store contract: ${name}`, () => {
    let handle: StoreHandle;
    let store: Store;

    beforeEach(async () => {
      handle = await open();
      store = handle.store;
      await seedTree(store.registry);
    });
    afterEach(async () => {
      await handle.cleanup();
    });

    it('creates an alert with its first event and reads both back as the API schemas describe them', async () => {
      const created = await store.alerts.create(newAlert('fridge-1', 'site-ft'), { ...raised, text: 'raised', detail: { value: 9.4 } });
      expect(alertSchema.parse(created)).toEqual({ id: created.id, ...newAlert('fridge-1', 'site-ft') });
      expect(await store.alerts.get(created.id)).toEqual(created);
      const events = await store.alerts.events(created.id);
      expect(events.map((e) => alertEventSchema.parse(e))).toEqual([
        { id: events[0]!.id, alertId: created.id, at: T0 + MIN, actor: 'system', type: 'raised', text: 'raised', detail: { value: 9.4 } },
      ]);
      expect(await store.alerts.get(created.id + 1000)).toBeUndefined();
    });

    it('allows one active alert per device and rule, and a new one once the old is resolved', async () => {
      const first = await store.alerts.create(newAlert('fridge-1', 'site-ft'), raised);
      await expect(store.alerts.create(newAlert('fridge-1', 'site-ft'), raised)).rejects.toThrow();
      // Another rule or another device is a different alert.
      await store.alerts.create(newAlert('fridge-1', 'site-ft', { rule: 'door_open' }), raised);
      await store.alerts.create(newAlert('fridge-2', 'site-ft'), raised);
      await store.alerts.update(first.id, { state: 'resolved', resolution: 'cleared', resolvedAt: T0 + 5 * MIN }, []);
      const second = await store.alerts.create(newAlert('fridge-1', 'site-ft'), raised);
      expect(second.id).not.toBe(first.id);
      expect((await store.alerts.listActive()).map((a) => a.id).sort()).toEqual(expect.arrayContaining([second.id]));
      expect((await store.alerts.listActive()).some((a) => a.id === first.id)).toBe(false);
    });

    it('applies a patch and appends its events in order, in one step', async () => {
      const alert = await store.alerts.create(newAlert('fridge-1', 'site-ft'), raised);
      const updated = await store.alerts.update(alert.id, { state: 'acknowledged', acknowledgedAt: T0 + 2 * MIN, acknowledgedBy: 'u-1', detail: { limitC: 8, note: 'x' }, flapping: true }, [
        { at: T0 + 2 * MIN, actor: 'u-1', type: 'acknowledged' },
        { at: T0 + 2 * MIN, actor: 'u-1', type: 'commented', text: 'on my way' },
      ]);
      expect(updated).toEqual({ ...alert, state: 'acknowledged', acknowledgedAt: T0 + 2 * MIN, acknowledgedBy: 'u-1', detail: { limitC: 8, note: 'x' }, flapping: true });
      expect((await store.alerts.events(alert.id)).map((e) => [e.type, e.actor, e.text])).toEqual([
        ['raised', 'system', null],
        ['acknowledged', 'u-1', null],
        ['commented', 'u-1', 'on my way'],
      ]);
      await expect(store.alerts.update(alert.id + 999, { state: 'resolved' }, [])).rejects.toThrow();
    });

    it('lists newest first within a scope: region subtree by path, a list of sites, or everything', async () => {
      const make = (deviceId: string, siteId: string) => store.alerts.create(newAlert(deviceId, siteId), raised);
      const inTownship = await make('d-xm', 'site-xm');
      const inDistrict = await make('d-ft', 'site-ft');
      const otherDistrict = await make('d-ns', 'site-ns');
      const otherCity = await make('d-1x', 'site-1x');
      const list = (scope: SiteScope, extra = {}) => store.alerts.list({ scope, limit: 50, ...extra }).then((a) => a.map((x) => x.id));
      expect(await list({ kind: 'all' })).toEqual([otherCity.id, otherDistrict.id, inDistrict.id, inTownship.id]);
      expect(await list({ kind: 'region', regionPath: '/sz/sz-ft/' })).toEqual([inDistrict.id, inTownship.id]);
      expect(await list({ kind: 'region', regionPath: '/sz/sz-ft/sz-ft-xm/' })).toEqual([inTownship.id]);
      // `/sz1/` must not match `/sz1x/`: a prefix of ids is not a prefix of paths.
      expect(await list({ kind: 'region', regionPath: '/sz1/' })).toEqual([]);
      expect(await list({ kind: 'sites', siteIds: ['site-ns', 'site-1x'] })).toEqual([otherCity.id, otherDistrict.id]);
      expect(await list({ kind: 'sites', siteIds: [] })).toEqual([]);
      // Filters narrow the scope; they never widen it.
      expect(await list({ kind: 'region', regionPath: '/sz/sz-ft/' }, { regionPath: '/sz/' })).toEqual([inDistrict.id, inTownship.id]);
      expect(await list({ kind: 'region', regionPath: '/sz/sz-ft/' }, { siteId: 'site-ns' })).toEqual([]);
      expect(await list({ kind: 'all' }, { before: inDistrict.id })).toEqual([inTownship.id]);
      expect(await list({ kind: 'all' }, { limit: 1 })).toEqual([otherCity.id]);
    });

    it('judges a moved site by where it is now', async () => {
      const alert = await store.alerts.create(newAlert('d-xm', 'site-xm'), raised);
      const inFutian = () => store.alerts.list({ scope: { kind: 'region', regionPath: '/sz/sz-ft/' }, limit: 10 }).then((a) => a.map((x) => x.id));
      expect(await inFutian()).toEqual([alert.id]);
      await store.registry.upsertSite({ id: 'site-xm', name: 'Kitchen moved', regionId: 'sz-ns' });
      expect(await inFutian()).toEqual([]);
    });

    it('filters by state, severity, rule, category and device', async () => {
      const a = await store.alerts.create(newAlert('d-1', 'site-ft'), raised);
      const b = await store.alerts.create(newAlert('d-2', 'site-ft', { severity: 'critical', rule: 'oil_overflow' }), raised);
      const c = await store.alerts.create(newAlert('d-3', 'site-ft', { category: 'finding', rule: 'finding.rodent', verdict: 'pending' }), raised);
      await store.alerts.update(a.id, { state: 'resolved', resolution: 'cleared', resolvedAt: T0 + 9 * MIN }, []);
      const list = (extra: object) => store.alerts.list({ scope: { kind: 'all' }, limit: 10, ...extra }).then((x) => x.map((y) => y.id));
      expect(await list({ state: 'active' })).toEqual([c.id, b.id]);
      expect(await list({ state: 'resolved' })).toEqual([a.id]);
      expect(await list({ severity: 'critical' })).toEqual([b.id]);
      expect(await list({ rule: 'oil_overflow' })).toEqual([b.id]);
      expect(await list({ category: 'finding' })).toEqual([c.id]);
      expect(await list({ deviceId: 'd-1' })).toEqual([a.id]);
    });

    it('computes analytics from the recorded history: times to acknowledge and resolve, counts, rectification rate', async () => {
      const at = (m: number) => T0 + m * MIN;
      const make = async (deviceId: string, siteId: string, createdMin: number, patch: Partial<Alert>, extra: Partial<NewAlert> = {}) => {
        const a = await store.alerts.create(newAlert(deviceId, siteId, { createdAt: at(createdMin), ...extra }), raised);
        return store.alerts.update(a.id, patch, []);
      };
      // Acknowledged after 5, 10 and 30 minutes; resolved after 20 (corrected), 40 (cleared), 60 (dismissed finding).
      await make('d-1', 'site-ft', 0, { acknowledgedAt: at(5), state: 'resolved', resolution: 'corrected', resolvedAt: at(20), correctiveAction: 'moved food' });
      await make('d-2', 'site-ft', 0, { acknowledgedAt: at(10), state: 'resolved', resolution: 'cleared', resolvedAt: at(40) });
      await make('d-3', 'site-xm', 0, { acknowledgedAt: at(30), state: 'resolved', resolution: 'dismissed', resolvedAt: at(60) }, { category: 'finding', rule: 'finding.rodent', severity: 'critical' });
      await make('d-4', 'site-ns', 0, {});
      // Outside the period: not counted.
      await make('d-5', 'site-ft', 24 * 60, { acknowledgedAt: at(24 * 60 + 1) });

      const stats = await store.alerts.analytics({ scope: { kind: 'all' }, from: T0, to: at(24 * 60) });
      expect(stats).toMatchObject({ raised: 4, resolved: 3, rectified: 1, dismissed: 1, open: 1 });
      // 整改率 = rectified ÷ (raised − dismissed): d-1 corrected, out of d-1, d-2 (cleared) and d-4 (open, untouched).
      expect(stats.rectificationRate).toBeCloseTo(1 / 3);
      expect(stats.timeToAcknowledge).toEqual({ count: 3, meanMs: 15 * MIN, medianMs: 10 * MIN, p90Ms: 30 * MIN });
      expect(stats.timeToResolve).toEqual({ count: 3, meanMs: 40 * MIN, medianMs: 40 * MIN, p90Ms: 60 * MIN });
      expect(stats.byRule).toEqual([
        { rule: 'temperature_high', raised: 3, rectified: 1 },
        { rule: 'finding.rodent', raised: 1, rectified: 0 },
      ]);
      expect(stats.bySite).toEqual([
        { siteId: 'site-ft', raised: 2, open: 0 },
        { siteId: 'site-ns', raised: 1, open: 1 },
        { siteId: 'site-xm', raised: 1, open: 0 },
      ]);
      expect(stats.bySeverity).toEqual([
        { severity: 'critical', raised: 1 },
        { severity: 'warning', raised: 3 },
      ]);

      const futian = await store.alerts.analytics({ scope: { kind: 'region', regionPath: '/sz/sz-ft/' }, from: T0, to: at(24 * 60) });
      expect(futian).toMatchObject({ raised: 3, rectified: 1, dismissed: 1, open: 0 });
      const empty = await store.alerts.analytics({ scope: { kind: 'sites', siteIds: [] }, from: T0, to: at(24 * 60) });
      expect(empty).toMatchObject({ raised: 0, rectificationRate: null, timeToAcknowledge: { count: 0, meanMs: null, medianMs: null, p90Ms: null } });
    });

    it('keeps rule state and overrides as JSON, across a reopen', async () => {
      await store.ruleState.saveStates([{ deviceId: 'd-1', state: { temperature_high: { since: T0 } } }], T0);
      await store.ruleState.saveStates([{ deviceId: 'd-1', state: { temperature_high: { since: T0 + 1 } } }, { deviceId: 'd-2', state: [1, 2] }], T0 + 1);
      await store.ruleState.setOverrides({ kind: 'site', id: 'site-ft' }, { profiles: { chilled: { max: 6 } } }, T0);
      await store.ruleState.setOverrides({ kind: 'device', id: 'd-1' }, { battery: { lowPct: 15 } }, T0);
      await store.ruleState.setOverrides({ kind: 'device', id: 'd-1' }, null, T0);
      const reopened = handle.reopen ? await handle.reopen() : store;
      expect(await reopened.ruleState.loadState('d-1')).toEqual({ temperature_high: { since: T0 + 1 } });
      expect(await reopened.ruleState.loadState('d-2')).toEqual([1, 2]);
      expect(await reopened.ruleState.loadState('d-3')).toBeUndefined();
      expect(await reopened.ruleState.getOverrides({ kind: 'site', id: 'site-ft' })).toEqual({ profiles: { chilled: { max: 6 } } });
      expect(await reopened.ruleState.getOverrides({ kind: 'device', id: 'd-1' })).toBeUndefined();
      // The same id as a site and as a device are different targets.
      expect(await reopened.ruleState.getOverrides({ kind: 'device', id: 'site-ft' })).toBeUndefined();
    });
  });
}
