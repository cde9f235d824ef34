import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Condition, Overview, Severity } from '../../contracts/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The jurisdiction overview against a real server and store: a city with two
 * districts, sites in each, devices on and off line, alerts raised either side
 * of midnight in Shanghai. The server's clock is a variable the test moves.
 */
let server: TestServer;
/** 2026-01-15 23:58 in Shanghai (UTC+8): two minutes before the day changes. */
let now = Date.UTC(2026, 0, 15, 15, 58);
const MIN = 60_000;

const condition = (severity: Severity): Condition => ({ rule: 'temperature_high', active: true, severity, at: now, value: 9, limit: 8, message: 'above 8 °C' });

beforeEach(async () => {
  now = Date.UTC(2026, 0, 15, 15, 58);
  // No engine ticks: the test moves the clock by minutes and wants no "no data" alerts of its own making.
  server = await startTestServer({ SK_ALERT_TICK_MS: '3600000' }, undefined, { clock: () => now });
  const { registry } = server.store;
  // East district: two sites in one township. West district: one site.
  await server.provision({ id: 'east-1-fridge', siteId: 'east-1' });
  await server.provision({ id: 'east-1-cam', siteId: 'east-1', kind: 'camera' });
  await server.provision({ id: 'east-2-fridge', siteId: 'east-2' });
  await registry.upsertRegion({ id: 'district-w', name: '西区', level: 'district', parentId: 'city' });
  await registry.upsertRegion({ id: 'town-w1', name: '西一镇', level: 'township', parentId: 'district-w' });
  await registry.upsertSite({ id: 'west-1', name: '西边餐厅', regionId: 'town-w1' });
  await registry.createDevice({ id: 'west-1-fridge', siteId: 'west-1', kind: 'temperature', label: 'w', profile: 'chilled', expectedIntervalS: 30 }, 'secret-west-fridge-000000', now);
  await registry.setPresence('east-1-fridge', true, now);
  await registry.setPresence('east-1-cam', true, now);
  await registry.setPresence('west-1-fridge', true, now);
});
afterEach(async () => {
  await server.stop();
});

async function overview(headers: Record<string, string>, query = ''): Promise<{ status: number; body: Overview }> {
  const res = await server.api.inject({ method: 'GET', url: `/api/v1/overview${query}`, headers });
  return { status: res.statusCode, body: res.json() };
}

describe('GET /api/v1/overview', () => {
  it('a city supervisor sees the city, its districts with their own figures, and sites worst first', async () => {
    const { lifecycle } = server.alerting;
    await lifecycle.applyCondition('east-2-fridge', 'east-2', condition('critical'));
    await lifecycle.applyCondition('west-1-fridge', 'west-1', condition('warning'));
    const { headers } = await server.userAs('supervisor', { kind: 'region', regionId: 'city' });

    const { status, body } = await overview(headers);
    expect(status).toBe(200);
    expect(body.region?.id).toBe('city');
    expect(body.totals).toMatchObject({
      sites: 3,
      devices: { total: 4, online: 3, rate: 0.75 },
      cameras: { total: 1, online: 1, rate: 1 },
      openAlerts: { critical: 1, warning: 1, info: 0, total: 2 },
      unacknowledged: 2,
      raisedToday: 2,
    });
    expect(body.children.map((c) => [c.region.id, c.kpis.sites, c.kpis.openAlerts.total, c.worstSeverity])).toEqual([
      ['district-a', 2, 1, 'critical'],
      ['district-w', 1, 1, 'warning'],
    ]);
    expect(body.sites.map((s) => [s.site.id, s.worstSeverity])).toEqual([
      ['east-2', 'critical'],
      ['west-1', 'warning'],
      ['east-1', null],
    ]);
    expect(body.sitesTotal).toBe(3);

    // Drilling down: the district's townships, then a township's sites.
    const district = (await overview(headers, '?regionId=district-a')).body;
    expect(district.ancestors.map((r) => [r.id, r.openable])).toEqual([['city', true]]);
    expect(district.children.map((c) => c.region.id)).toEqual(['town-a1']);
    expect(district.sites.map((s) => s.site.id).sort()).toEqual(['east-1', 'east-2']);
    const township = (await overview(headers, '?regionId=town-a1')).body;
    expect(township.children).toEqual([]);
    expect(township.totals.devices).toEqual({ total: 3, online: 2, rate: 2 / 3 });
  });

  it('a district supervisor sees only that district: other districts and the city above answer 404', async () => {
    await server.alerting.lifecycle.applyCondition('west-1-fridge', 'west-1', condition('critical'));
    const { headers } = await server.userAs('supervisor', { kind: 'region', regionId: 'district-a' });

    const { body } = await overview(headers);
    expect(body.region?.id).toBe('district-a');
    // The city's name is there for the breadcrumb, but not its figures.
    expect(body.ancestors.map((r) => [r.id, r.openable])).toEqual([['city', false]]);
    expect(body.totals).toMatchObject({ sites: 2, openAlerts: { total: 0 }, raisedToday: 0 });
    expect(body.sites.map((s) => s.site.id).sort()).toEqual(['east-1', 'east-2']);
    for (const regionId of ['city', 'district-w', 'town-w1', 'nowhere']) {
      expect((await overview(headers, `?regionId=${regionId}`)).status).toBe(404);
    }
  });

  it('an operator sees their own sites without a region; asking for a region answers 404', async () => {
    const { lifecycle } = server.alerting;
    await lifecycle.applyCondition('east-1-fridge', 'east-1', condition('warning'));
    await lifecycle.applyCondition('east-2-fridge', 'east-2', condition('critical'));
    const { headers } = await server.userAs('operator', { kind: 'sites', siteIds: ['east-1'] });

    const { body } = await overview(headers);
    expect(body.region).toBeNull();
    expect(body.children).toEqual([]);
    expect(body.sites.map((s) => s.site.id)).toEqual(['east-1']);
    expect(body.totals.openAlerts).toEqual({ info: 0, warning: 1, critical: 0, total: 1 });
    expect((await overview(headers, '?regionId=town-a1')).status).toBe(404);
  });

  it('counts today in Shanghai: raised, rectified, rate and time to acknowledge follow what people do', async () => {
    const { lifecycle } = server.alerting;
    const { headers, id } = await server.userAs('supervisor', { kind: 'region', regionId: 'city' });
    // Raised at 23:58, yesterday by the time we look.
    await lifecycle.applyCondition('east-1-fridge', 'east-1', condition('warning'));
    const yesterdays = lifecycle.activeAlert('east-1-fridge', 'temperature_high')!;
    now += 3 * MIN; // 00:01 in Shanghai, still 16:01 of the 15th in UTC
    await lifecycle.applyCondition('east-2-fridge', 'east-2', condition('critical'));
    const todays = lifecycle.activeAlert('east-2-fridge', 'temperature_high')!;

    let totals = (await overview(headers)).body.totals;
    // Two alerts raised in the period, none rectified yet: the rate is 0, not "nothing to say".
    expect(totals).toMatchObject({ raisedToday: 1, rectifiedToday: 0, rectificationRate: 0, medianAckMs: null, unacknowledged: 2 });

    now += 4 * MIN;
    await lifecycle.acknowledge(todays.id, id);
    now += 1 * MIN;
    await lifecycle.resolve(todays.id, id, '更换温控器');
    // Yesterday's alert clears by itself: resolved, but not rectified.
    await lifecycle.applyCondition('east-1-fridge', 'east-1', { ...condition('warning'), active: false });

    const body = (await overview(headers)).body;
    totals = body.totals;
    expect(totals).toMatchObject({ raisedToday: 1, rectifiedToday: 1, rectificationRate: 0.5, medianAckMs: 4 * MIN, unacknowledged: 0, openAlerts: { total: 0 } });
    expect(body.day).toEqual({ timezone: 'Asia/Shanghai', start: Date.UTC(2026, 0, 15, 16), end: Date.UTC(2026, 0, 16, 16) });

    // A corrective note added today to yesterday's self-cleared alert counts as rectified today.
    await lifecycle.resolve(yesterdays.id, id, '检查门封');
    expect((await overview(headers)).body.totals).toMatchObject({ rectifiedToday: 2, rectificationRate: 1 });
    // In UTC both alerts were raised on the 15th, which is still today there.
    expect((await overview(headers, '?timezone=UTC')).body.totals.raisedToday).toBe(2);
  });

  it('counts the rectification rate as regulators do: rectified ÷ raised, so untouched open alerts lower it and false findings do not', async () => {
    const { lifecycle } = server.alerting;
    const { headers, id } = await server.userAs('supervisor', { kind: 'region', regionId: 'city' });
    await lifecycle.applyCondition('east-1-fridge', 'east-1', condition('warning'));
    await lifecycle.applyCondition('east-2-fridge', 'east-2', condition('critical'));
    await lifecycle.raiseFinding({ deviceId: 'east-1-cam', ts: now, receivedAt: now, seq: 1, boot: 'b', type: 'rodent', confidence: 0.6 }, 'east-1');
    now += 5 * MIN;
    // One fixed with a corrective action, the finding judged false (a cat), one left untouched.
    await lifecycle.resolve(lifecycle.activeAlert('east-1-fridge', 'temperature_high')!.id, id, '更换温控器');
    await lifecycle.dismiss(lifecycle.activeAlert('east-1-cam', 'finding.rodent')!.id, id, '是猫');

    const { body } = await overview(headers);
    expect(body.totals.openAlerts.total).toBe(1);
    // 1 rectified ÷ (3 raised − 1 dismissed): the open alert counts against the rate.
    expect(body.totals.rectificationRate).toBe(0.5);
    const east = body.children.find((c) => c.region.id === 'district-a')!;
    expect(east.kpis.rectificationRate).toBe(0.5);
    const analytics = await server.api.inject({ method: 'GET', url: `/api/v1/alerts/analytics?from=${now - 60 * MIN}&to=${now + MIN}`, headers });
    expect(analytics.json()).toMatchObject({ raised: 3, rectified: 1, dismissed: 1, open: 1, rectificationRate: 0.5 });
  });

  it('refuses a bad time zone or period and a missing token', async () => {
    const { headers } = await server.userAs('admin');
    expect((await overview(headers, '?timezone=Mars/Olympus')).status).toBe(400);
    expect((await overview(headers, '?days=0')).status).toBe(400);
    expect((await server.api.inject({ method: 'GET', url: '/api/v1/overview' })).statusCode).toBe(401);
    const { body } = await overview(headers);
    expect(body.region).toBeNull();
    expect(body.children.map((c) => c.region.id)).toEqual(['city']);
    expect(body.totals.sites).toBe(3);
  });
});
