import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Scope } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import { connectDashboard, startTestServer, type DashboardSocket, type TestServer } from '../helpers/server.js';

/**
 * Property: for generated region trees, sites, devices and users, no read path
 * ever returns or pushes anything outside the user's scope, and everything
 * inside it is reachable (so the check is not vacuous).
 *
 * The oracle walks parent links in a model kept by this test; the server uses
 * materialised paths. One server serves every run; each run adds its own
 * uniquely named tree, so earlier runs' data is there to leak, too.
 *
 * Every device also has an alert (raised the way the engine raises them), so the
 * alert list, detail, actions, analytics and `alert:*` pushes are checked too, and
 * the jurisdiction overview.
 */
interface ModelRegion {
  id: string;
  parentId: string | null;
}
interface ModelSite {
  id: string;
  regionId: string;
}
const regions = new Map<string, ModelRegion>();
const sites = new Map<string, ModelSite>();
const devices = new Map<string, string>(); // device → site
const alerts = new Map<number, string>(); // alert id → site

let server: TestServer;
let admin: { authorization: string };
let run = 0;

beforeAll(async () => {
  server = await startTestServer();
  admin = (await server.userAs('admin', { kind: 'all' }, 'prop-admin')).headers;
});
afterAll(async () => {
  await server.stop();
});

const warm = (deviceId: string) => ({
  rule: 'temperature_high' as const,
  active: true,
  severity: 'warning' as const,
  at: Date.now(),
  value: 9,
  limit: 8,
  message: `${deviceId} above 8 °C`,
});

/** Whether region `inner` is `outer` or below it, by walking parents. */
function within(inner: string, outer: string): boolean {
  for (let r: string | null = inner; r !== null; r = regions.get(r)?.parentId ?? null) if (r === outer) return true;
  return false;
}
function visibleSites(scope: Scope): Set<string> {
  const all = [...sites.values()];
  if (scope.kind === 'all') return new Set(all.map((s) => s.id));
  if (scope.kind === 'sites') return new Set(scope.siteIds);
  return new Set(all.filter((s) => within(s.regionId, scope.regionId)).map((s) => s.id));
}

const treeArb = fc.record({
  cities: fc.array(fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }),
  siteTowns: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
  devicesPerSite: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 6, maxLength: 6 }),
  users: fc.array(
    fc.oneof(
      fc.record({ role: fc.constant('supervisor' as const), pick: fc.nat() }),
      fc.record({ role: fc.constant('operator' as const), picks: fc.array(fc.nat(), { maxLength: 3 }) }),
      fc.record({ role: fc.constant('admin' as const) }),
    ),
    { minLength: 1, maxLength: 3 },
  ),
  move: fc.option(fc.record({ site: fc.nat(), town: fc.nat() })),
});

describe('scope property', () => {
  it('nothing outside a user’s scope is ever returned or pushed, and everything inside is reachable', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, async (plan) => {
        const p = `r${++run}`;
        const { registry } = server.store;
        // Build the tree.
        const towns: string[] = [];
        const runRegions: string[] = [];
        for (const [c, districts] of plan.cities.entries()) {
          const city = `${p}-c${c}`;
          await registry.upsertRegion({ id: city, name: city, level: 'city', parentId: null });
          regions.set(city, { id: city, parentId: null });
          runRegions.push(city);
          for (const [d, townCount] of districts.entries()) {
            const district = `${city}-d${d}`;
            await registry.upsertRegion({ id: district, name: district, level: 'district', parentId: city });
            regions.set(district, { id: district, parentId: city });
            runRegions.push(district);
            for (let t = 0; t < townCount; t++) {
              const town = `${district}-t${t}`;
              await registry.upsertRegion({ id: town, name: town, level: 'township', parentId: district });
              regions.set(town, { id: town, parentId: district });
              runRegions.push(town);
              towns.push(town);
            }
          }
        }
        const runSites: string[] = [];
        const runDevices: string[] = [];
        for (const [i, pick] of plan.siteTowns.entries()) {
          const site = { id: `${p}-s${i}`, regionId: towns[pick % towns.length]! };
          await registry.upsertSite({ ...site, name: site.id });
          sites.set(site.id, site);
          runSites.push(site.id);
          for (let k = 0; k < plan.devicesPerSite[i]!; k++) {
            const id = `${site.id}-dev${k}`;
            await registry.createDevice({ id, siteId: site.id, kind: 'temperature', label: id, profile: 'chilled', expectedIntervalS: 30 }, `secret-${id}-0123456789`, Date.now());
            devices.set(id, site.id);
            runDevices.push(id);
            await server.alerting.lifecycle.applyCondition(id, site.id, warm(id));
            alerts.set(server.alerting.lifecycle.activeAlert(id, 'temperature_high')!.id, site.id);
            await server.store.ingestSink.writeBatch([
              { readings: [], findings: [], quarantine: [{ deviceId: id, channel: 'telemetry', reason: 'not_json', detail: 'x', payload: Buffer.from('{'), receivedAt: Date.now() }] },
            ]);
          }
        }
        // Users, with scopes drawn from this run's regions and sites.
        const users = [];
        for (const [u, spec] of plan.users.entries()) {
          const scope: Scope =
            spec.role === 'admin'
              ? { kind: 'all' }
              : spec.role === 'supervisor'
                ? { kind: 'region', regionId: runRegions[spec.pick % runRegions.length]! }
                : { kind: 'sites', siteIds: [...new Set(spec.picks.map((n) => runSites[n % runSites.length]!))] };
          users.push(await server.userAs(spec.role, scope, `${p}-u${u}`));
        }
        // Sometimes a site moves to another township first, through the API.
        if (plan.move) {
          const site = sites.get(runSites[plan.move.site % runSites.length]!)!;
          const town = towns[plan.move.town % towns.length]!;
          const res = await server.api.inject({ method: 'PATCH', url: `/api/v1/sites/${site.id}`, headers: admin, payload: { regionId: town } });
          expect(res.statusCode).toBe(200);
          site.regionId = town;
        }

        for (const user of users) {
          const visible = visibleSites(user.scope);
          const get = async (url: string) => server.api.inject({ url, headers: user.headers });
          const who = `${user.id} ${JSON.stringify(user.scope)}`;
          // Every page of a newest-first list: the runs add up to more than one page of 500.
          const all = async <T extends { id: number }>(url: string): Promise<T[]> => {
            const items: T[] = [];
            for (let before = ''; ; ) {
              const res = await get(`${url}${url.includes('?') ? '&' : '?'}limit=500${before}`);
              expect(res.statusCode, res.body).toBe(200);
              const page = res.json() as T[];
              items.push(...page);
              if (page.length < 500) return items;
              before = `&before=${page[page.length - 1]!.id}`;
            }
          };

          // Lists: exactly the scope, over every run's data.
          expect(new Set((await get('/api/v1/sites')).json().map((s: { id: string }) => s.id)), who).toEqual(visible);
          const quarantined = await all<{ id: number; deviceId: string | null }>('/api/v1/quarantine');
          for (const e of quarantined) expect(e.deviceId !== null && visible.has(devices.get(e.deviceId)!), who).toBe(true);
          expect(quarantined.length, who).toBe([...devices.values()].filter((s) => visible.has(s)).length);
          const visibleRegions = (await get('/api/v1/regions')).json() as { id: string }[];
          for (const r of visibleRegions) {
            const related =
              user.scope.kind === 'all' ||
              (user.scope.kind === 'region' ? within(r.id, user.scope.regionId) || within(user.scope.regionId, r.id) : [...visible].some((s) => within(sites.get(s)!.regionId, r.id)));
            expect(related, `${who} sees region ${r.id}`).toBe(true);
          }

          // Alerts: the list, the analytics and every alert's detail and actions.
          const alertList = await all<{ id: number; siteId: string }>('/api/v1/alerts?state=active');
          for (const a of alertList) expect(visible.has(a.siteId), `${who} listed alert of ${a.siteId}`).toBe(true);
          const condition = await all<{ id: number }>('/api/v1/alerts?state=active&rule=temperature_high');
          expect(new Set(condition.map((a) => a.id)), who).toEqual(new Set([...alerts].filter(([, site]) => visible.has(site)).map(([id]) => id)));
          const stats = (await get(`/api/v1/alerts/analytics?from=0&to=${Date.now() + 60_000}`)).json() as { raised: number };
          expect(stats.raised, who).toBeGreaterThanOrEqual(condition.length);
          for (const [id, site] of alerts) {
            if (!runSites.includes(site)) continue;
            const status = visible.has(site) ? 200 : 404;
            expect((await get(`/api/v1/alerts/${id}`)).statusCode, `${who} alert ${id}`).toBe(status);
            const comment = await server.api.inject({ method: 'POST', url: `/api/v1/alerts/${id}/comments`, headers: user.headers, payload: { text: 'seen' } });
            expect(comment.statusCode, `${who} comments on alert ${id}`).toBe(status);
          }

          // The overview counts exactly the scope's sites, and opens only regions the scope covers.
          const overview = (await get('/api/v1/overview')).json() as { sitesTotal: number; sites: Array<{ site: { id: string } }>; totals: { sites: number } };
          expect(overview.sitesTotal, `${who} overview sites`).toBe(visible.size);
          expect(overview.totals.sites, who).toBe(visible.size);
          for (const row of overview.sites) expect(visible.has(row.site.id), `${who} overview lists ${row.site.id}`).toBe(true);
          for (const region of runRegions) {
            const covered = user.scope.kind === 'all' || (user.scope.kind === 'region' && within(region, user.scope.regionId));
            expect((await get(`/api/v1/overview?regionId=${region}`)).statusCode, `${who} overview of ${region}`).toBe(covered ? 200 : 404);
          }

          // Details of this run's objects (the siblings that could leak): 200 inside, 404 outside.
          for (const site of runSites) {
            const status = visible.has(site) ? 200 : 404;
            expect((await get(`/api/v1/sites/${site}`)).statusCode, `${who} site ${site}`).toBe(status);
            const listed = await get(`/api/v1/sites/${site}/devices`);
            expect(listed.statusCode, who).toBe(status);
            if (status === 200) for (const d of listed.json()) expect(visible.has(d.siteId), who).toBe(true);
          }
          for (const device of runDevices) {
            const status = visible.has(devices.get(device)!) ? 200 : 404;
            expect((await get(`/api/v1/devices/${device}`)).statusCode, `${who} device ${device}`).toBe(status);
            expect((await get(`/api/v1/devices/${device}/history?field=temperatureC&from=0&to=10`)).statusCode, who).toBe(status);
            expect((await get(`/api/v1/devices/${device}/findings`)).statusCode, who).toBe(status);
          }

          // Live: subscriptions only inside, and pushes only from inside.
          const socket: DashboardSocket = await connectDashboard(server.httpUrl, user.accessToken);
          try {
            const pushed = new Set<string>();
            socket.on('reading:new', (r) => pushed.add(r.siteId));
            socket.on('device:presence', (c) => pushed.add(c.siteId));
            socket.on('finding:new', (f) => pushed.add(f.siteId));
            const alerted = new Set<string>();
            socket.on('alerts', (changes) => changes.forEach((c) => alerted.add(c.alert.siteId)));
            for (const site of runSites) {
              const ack = await socket.emitWithAck('site:subscribe', site);
              expect(ack.ok, `${who} subscribe ${site}`).toBe(visible.has(site));
            }
            for (const device of runDevices) {
              const siteId = devices.get(device)!;
              const record: TelemetryRecord = { deviceId: device, kind: 'temperature', ts: Date.now(), seq: run, boot: 'b', receivedAt: Date.now(), values: { temperatureC: 4 } };
              server.ingest.emit('reading:stored', record, siteId);
              server.ingest.emit('device:presence', { deviceId: device, siteId, online: true, at: Date.now() });
              server.ingest.emit('finding:stored', { deviceId: device, ts: Date.now(), seq: run, boot: 'b', type: 'rodent', confidence: 0.9, receivedAt: Date.now() }, siteId);
              // A repeat of the condition: alert:updated to whoever covers the site, without subscribing.
              await server.alerting.lifecycle.applyCondition(device, siteId, warm(device));
            }
            await server.alerting.lifecycle.drain();
            const expected = runDevices.map((d) => devices.get(d)!).filter((s) => visible.has(s));
            // Alert changes are announced once synced and leave in batches (25 ms apart): wait for the visible ones
            // (the assertions below say what is missing if they never come) before the barrier.
            await vi.waitUntil(() => expected.every((s) => alerted.has(s)), { timeout: 5_000 }).catch(() => undefined);
            // An ack comes after every event the server sent before it on this connection.
            await socket.emitWithAck('site:unsubscribe', 'barrier');
            for (const site of pushed) expect(visible.has(site), `${who} was pushed ${site}`).toBe(true);
            expect(pushed, who).toEqual(new Set(expected));
            for (const site of alerted) expect(visible.has(site), `${who} was pushed an alert of ${site}`).toBe(true);
            expect(alerted, who).toEqual(new Set(expected));
          } finally {
            socket.close();
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
