import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, Condition } from '../../contracts/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Each role against the alert and rule routes: allowed, 404 outside the scope,
 * 403 for a role that may not, 401 without a token. Two sites in two districts.
 */
let server: TestServer;
let east: Alert;
let west: Alert;

const warm = (): Condition => ({ rule: 'temperature_high', active: true, severity: 'warning', at: Date.now(), value: 9, limit: 8, message: 'above 8 °C' });

beforeEach(async () => {
  server = await startTestServer();
  const { registry } = server.store;
  await server.provision({ id: 'east-fridge', siteId: 'site-east' });
  await registry.upsertRegion({ id: 'district-w', name: '西区', level: 'district', parentId: 'city' });
  await registry.upsertRegion({ id: 'town-w1', name: '西一镇', level: 'township', parentId: 'district-w' });
  await registry.upsertSite({ id: 'site-west', name: '西边餐厅', regionId: 'town-w1' });
  await registry.createDevice({ id: 'west-fridge', siteId: 'site-west', kind: 'temperature', label: 'w', profile: 'chilled', expectedIntervalS: 30 }, 'secret-west-fridge-000000', Date.now());
  await registry.createDevice({ id: 'east-cam', siteId: 'site-east', kind: 'camera', label: 'c', profile: 'camera', expectedIntervalS: 30 }, 'secret-east-cam-0000000000', Date.now());
  const { lifecycle } = server.alerting;
  await lifecycle.applyCondition('east-fridge', 'site-east', warm());
  await lifecycle.applyCondition('west-fridge', 'site-west', warm());
  east = lifecycle.activeAlert('east-fridge', 'temperature_high')!;
  west = lifecycle.activeAlert('west-fridge', 'temperature_high')!;
});
afterEach(async () => {
  await server.stop();
});

const call = (headers: Record<string, string>, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  server.api.inject({ method, url, headers, ...(payload ? { payload } : {}) });

describe('alert routes by role', () => {
  it('a district supervisor sees and works the district’s alerts only, and confirms findings', async () => {
    const { headers } = await server.userAs('supervisor', { kind: 'region', regionId: 'district-a' }, 'inspector-east');
    expect((await call(headers, 'GET', '/api/v1/alerts')).json().map((a: Alert) => a.id)).toEqual([east.id]);
    expect((await call(headers, 'GET', `/api/v1/alerts/${west.id}`)).statusCode).toBe(404);
    expect((await call(headers, 'POST', `/api/v1/alerts/${west.id}/acknowledge`)).statusCode).toBe(404);
    expect((await call(headers, 'GET', '/api/v1/alerts?regionId=district-w')).statusCode).toBe(404);
    expect((await call(headers, 'GET', '/api/v1/alerts?siteId=site-west')).statusCode).toBe(404);
    const ack = await call(headers, 'POST', `/api/v1/alerts/${east.id}/acknowledge`);
    expect(ack.json()).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'inspector-east' });

    await server.alerting.lifecycle.raiseFinding({ deviceId: 'east-cam', ts: Date.now(), seq: 1, boot: 'b', type: 'no_mask', confidence: 0.8, receivedAt: Date.now() }, 'site-east');
    const finding = server.alerting.lifecycle.activeAlert('east-cam', 'finding.no_mask')!;
    expect((await call(headers, 'POST', `/api/v1/alerts/${finding.id}/confirm`)).json()).toMatchObject({ verdict: 'confirmed' });

    // Alert actions are in the audit log, with who did them.
    const audit = (await call({ authorization: `Bearer ${server.adminToken}` }, 'GET', '/api/v1/audit?limit=50')).json() as { action: string; actor: string; target: string }[];
    expect(audit.filter((e) => e.action.startsWith('alert:')).map((e) => `${e.action} ${e.actor} ${e.target}`).sort()).toEqual(
      [`alert:acknowledge inspector-east alert:${east.id}`, `alert:confirm inspector-east alert:${finding.id}`].sort(),
    );
  });

  it('an operator works their own site’s alerts but may not judge AI findings or change rules', async () => {
    const { headers } = await server.userAs('operator', { kind: 'sites', siteIds: ['site-east'] }, 'owner-east');
    expect((await call(headers, 'GET', '/api/v1/alerts')).json().map((a: Alert) => a.id)).toEqual([east.id]);
    expect((await call(headers, 'GET', `/api/v1/alerts/${west.id}`)).statusCode).toBe(404);
    expect((await call(headers, 'POST', `/api/v1/alerts/${east.id}/resolve`, { correctiveAction: '调整温控器' })).json()).toMatchObject({ resolution: 'corrected', resolvedBy: 'owner-east' });

    await server.alerting.lifecycle.raiseFinding({ deviceId: 'east-cam', ts: Date.now(), seq: 1, boot: 'b', type: 'smoking', confidence: 0.7, receivedAt: Date.now() }, 'site-east');
    const finding = server.alerting.lifecycle.activeAlert('east-cam', 'finding.smoking')!;
    expect((await call(headers, 'POST', `/api/v1/alerts/${finding.id}/dismiss`, { reason: '不是吸烟' })).statusCode).toBe(403);
    expect((await call(headers, 'GET', '/api/v1/sites/site-east/rules')).statusCode).toBe(200);
    expect((await call(headers, 'PUT', '/api/v1/sites/site-east/rules', { overrides: { door_open: { maxOpenMin: { value: 60, source: '本店' } } } })).statusCode).toBe(403);
    // Outside the scope it is 404, not 403: the operator learns nothing about the other site.
    expect((await call(headers, 'PUT', '/api/v1/sites/site-west/rules', { overrides: null })).statusCode).toBe(404);
  });

  it('refuses every alert and rule route without a valid token', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/alerts'],
      ['GET', `/api/v1/alerts/${east.id}`],
      ['POST', `/api/v1/alerts/${east.id}/acknowledge`],
      ['GET', '/api/v1/alerts/analytics?from=0&to=1'],
      ['GET', '/api/v1/rule-packs'],
      ['GET', '/api/v1/sites/site-east/rules'],
    ] as const) {
      expect((await call({}, method, url)).statusCode, url).toBe(401);
      expect((await call({ authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.' }, method, url)).statusCode, url).toBe(401);
    }
  });
});

describe('rule overrides', () => {
  it('a supervisor tightens a site’s limit; the effective settings and the device’s rules follow, and bad overrides are refused', async () => {
    const { headers } = await server.userAs('supervisor', { kind: 'region', regionId: 'district-a' }, 'inspector-east');
    const before = (await call(headers, 'GET', '/api/v1/devices/east-fridge/rules')).json();
    expect(before.effective.temperature.chilled.maxC.value).toBe(8);
    expect(before.effective.origin).toEqual({ pack: expect.stringMatching(/^cn-catering@\d+$/), overrides: [] });

    const put = await call(headers, 'PUT', '/api/v1/sites/site-east/rules', { overrides: { temperature: { chilled: { maxC: { value: 5, source: '本店制度' } } } } });
    expect(put.statusCode).toBe(200);
    const after = (await call(headers, 'GET', '/api/v1/devices/east-fridge/rules')).json();
    expect(after.effective.temperature.chilled.maxC).toEqual({ value: 5, source: '本店制度' });
    expect(after.effective.origin.overrides).toEqual(['site']);

    const unknownKey = await call(headers, 'PUT', '/api/v1/sites/site-east/rules', { overrides: { temperature: { chilled: { maxc: { value: 5 } } } } });
    expect(unknownKey.statusCode).toBe(400);
    const inconsistent = await call(headers, 'PUT', '/api/v1/devices/east-fridge/rules', { overrides: { temperature: { chilled: { minC: { value: 6, source: 'x' } } } } });
    expect(inconsistent.statusCode).toBe(422);
    expect(inconsistent.json().message).toContain('minC must be below maxC');
    expect((await call(headers, 'GET', '/api/v1/rule-packs')).json().map((p: { id: string }) => p.id).sort()).toEqual(['cn-catering', 'us-food-code']);
  });
});
