import type { Browser, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import type { FleetDevice } from '../../simulators/fleet.js';
import { collectProblems, failedResource, launchChromium, runBrowser, screenshot as shot } from '../helpers/browser.js';
import { startTestServer, warpedClock, type TestServer } from '../helpers/server.js';

/** 09:00 in Shanghai: kitchens open, the working day just begun. */
const START = Date.UTC(2026, 10, 23, 1, 0, 0);
/** Server and devices share a clock 600× real time: a simulated hour per six real seconds. */
const WARP = 600;

let server: TestServer | undefined;
let fleet: Fleet | undefined;
let browser: Browser | undefined;

afterEach(async () => {
  await browser?.close();
  await fleet?.stop();
  await server?.stop();
  server = fleet = browser = undefined;
});

/** A city with two districts: the east one has two kitchens (fridge, camera), the west one a kitchen with a fridge. */
async function jurisdiction(target: TestServer): Promise<FleetDevice[]> {
  const { registry } = target.store;
  await registry.upsertRegion({ id: 'yangguang', name: '阳光市', level: 'city', parentId: null });
  await registry.upsertRegion({ id: 'dongcheng', name: '东城区', level: 'district', parentId: 'yangguang' });
  await registry.upsertRegion({ id: 'huayuan', name: '花园街道', level: 'township', parentId: 'dongcheng' });
  await registry.upsertRegion({ id: 'xicheng', name: '西城区', level: 'district', parentId: 'yangguang' });
  await registry.upsertRegion({ id: 'hubin', name: '湖滨街道', level: 'township', parentId: 'xicheng' });
  await registry.upsertSite({ id: 'east-noodles', name: '东城面馆', regionId: 'huayuan' });
  await registry.upsertSite({ id: 'east-canteen', name: '花园小学食堂', regionId: 'huayuan' });
  await registry.upsertSite({ id: 'west-grill', name: '西城烧烤', regionId: 'hubin' });
  const devices: FleetDevice[] = [
    { id: 'noodles-fridge', siteId: 'east-noodles', kind: 'temperature', profile: 'chilled', secret: 'secret-noodles-fridge-0000' },
    { id: 'noodles-cam', siteId: 'east-noodles', kind: 'camera', profile: 'camera', secret: 'secret-noodles-camera-0000' },
    { id: 'canteen-fridge', siteId: 'east-canteen', kind: 'temperature', profile: 'chilled', secret: 'secret-canteen-fridge-0000' },
    { id: 'grill-fridge', siteId: 'west-grill', kind: 'temperature', profile: 'chilled', secret: 'secret-grill-fridge-000000' },
  ];
  for (const d of devices) {
    await registry.createDevice({ id: d.id, siteId: d.siteId!, kind: d.kind, label: d.id, profile: d.profile, expectedIntervalS: 60 }, d.secret, START);
  }
  return devices;
}

async function kpi(page: Page, key: string): Promise<string> {
  return (await page.locator(`[data-view="overview"][data-state="ready"] [data-kpi="${key}"] [data-value]`).textContent()) ?? '';
}

describe('a district supervisor in a real browser', () => {
  it.skipIf(!runBrowser)(
    'sees only the district, watches a simulated excursion raise an alert live, acknowledges and resolves it with a note, catches up after a network drop, and sees the KPIs change',
    async () => {
      const clock = warpedClock(START, WARP);
      // Access tokens live an hour of the warped clock (six real seconds): the page renews them and
      // reconnects its socket several times during the test, as it would over a long working day;
      // refresh tokens live 30 warped days, so the session outlasts a slow run.
      server = await startTestServer({ SK_ALERT_TICK_MS: '50', SK_ACCESS_TOKEN_TTL_S: '3600', SK_REFRESH_TOKEN_TTL_S: '2592000' }, undefined, { clock });
      const devices = await jurisdiction(server);
      // A reading per simulated minute; every device reports from the start, so no "no data" alerts.
      fleet = new Fleet({ url: server.mqttUrl, devices, intervalMs: 60_000 / WARP, seed: 5, clock, connectSpreadMs: 0 });
      await fleet.start();

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      // With tokens expiring every six real seconds, a request can meet an expired token before the
      // page renews it: the page renews and retries, but the browser logs the 401 as a failed resource.
      // While the test takes the network away, the socket's attempts fail with ERR_INTERNET_DISCONNECTED.
      // When the server drops a socket whose token expired, a long-polling request already on its way
      // meets the closed session and gets a 400 from socket.io: the socket reconnects with a new token.
      const problems = collectProblems(
        page,
        (text, url) =>
          text === failedResource(401, 'Unauthorized') ||
          text.includes('ERR_INTERNET_DISCONNECTED') ||
          (text === failedResource(400, 'Bad Request') && new URL(url, 'http://localhost').pathname === '/socket.io/'),
      );

      // Log in through the form; the supervisor lands on the district's overview.
      const supervisor = await server.createUser({ id: 'inspector-dong', role: 'supervisor', scope: { kind: 'region', regionId: 'dongcheng' } });
      await page.goto(`${server.httpUrl}/`);
      await page.locator('#user-input').waitFor();
      await shot(page, '01-login');
      await page.locator('#user-input').fill(supervisor.id);
      await page.locator('#token-input').fill(supervisor.password);
      await page.locator('#token-submit').click();
      await page.locator('#conn[data-connection-state="connected"]').waitFor();
      await page.locator('[data-view="overview"][data-state="ready"]').waitFor();
      expect(page.url()).toContain('#/overview/dongcheng');

      // Only the district: its two kitchens, the city's name above it but no link to it, nothing of the west.
      await expect.poll(() => page.locator('[data-overview-site-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-overview-site-id')).sort())).toEqual([
        'east-canteen',
        'east-noodles',
      ]);
      expect(await page.locator('.breadcrumb').textContent()).toContain('阳光市');
      expect(await page.locator('.breadcrumb a').count()).toBe(0);
      expect(await page.locator('[data-child-region-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-child-region-id')))).toEqual(['huayuan']);
      expect(await kpi(page, 'sites')).toBe('2');
      // The presence of the devices is read on load; a 30 s poll and every alert push refresh it.
      await expect.poll(() => kpi(page, 'devices'), { timeout: 15_000 }).toBe('100 %');
      expect(await kpi(page, 'rectifiedToday')).toBe('0');
      await shot(page, '02-overview');

      // The live feed, from the header.
      await page.locator('#nav [data-nav="alerts"]').click();
      await page.locator('[data-view="alerts"][data-state="ready"]').waitFor();
      const excursion = page.locator('[data-alert-id][data-rule="temperature_high"]');
      expect(await excursion.count()).toBe(0);

      // Both districts' fridges start failing; the page is not reloaded from here on.
      fleet.inject('noodles-fridge', 'compressor_failure');
      fleet.inject('grill-fridge', 'compressor_failure');
      await excursion.first().waitFor({ timeout: 60_000 });
      expect(await excursion.first().getAttribute('data-site-id')).toBe('east-noodles');
      // The west's alert exists on the server, but never reaches this supervisor.
      await expect
        .poll(async () => (await server!.store.alerts.list({ scope: { kind: 'all' }, siteId: 'west-grill', rule: 'temperature_high', limit: 5 })).length, { timeout: 60_000 })
        .toBeGreaterThan(0);
      expect(await page.locator('[data-alert-id][data-site-id="west-grill"]').count()).toBe(0);
      const id = Number(await excursion.first().getAttribute('data-alert-id'));
      await shot(page, '03-alerts-raised');

      // The overview counts it, and colours the kitchen by it.
      await page.locator('#nav [data-nav="overview"]').click();
      await expect.poll(() => kpi(page, 'raisedToday')).not.toBe('0');
      expect(Number(await kpi(page, 'openAlerts'))).toBeGreaterThan(0);
      expect(await page.locator('[data-overview-site-id="east-noodles"]').getAttribute('data-worst')).not.toBe('none');
      await shot(page, '03b-overview-alert');
      await page.goBack();
      await page.locator('[data-view="alerts"][data-state="ready"]').waitFor();
      const row = page.locator(`[data-alert-id="${id}"]`);

      // Acknowledge, then resolve with a corrective action, from the feed.
      await row.locator('[data-action="acknowledge"]').click();
      await row.locator('xpath=self::*[@data-state="acknowledged"]').waitFor();
      await row.locator('[data-action="work"]').click();
      // Resolving without a note is refused on the page, before any request.
      await row.locator('[data-action="resolve"]').click();
      await expect.poll(() => page.locator('#alerts-message').textContent()).toContain('请先填写');
      await row.locator('[data-field="note"]').fill('食材已转移至备用冷柜，已报修压缩机');
      await shot(page, '04-alerts-working');
      await row.locator('[data-action="resolve"]').click();
      // The row shows the outcome and the corrective action.
      await page.locator(`[data-alert-id="${id}"][data-state="resolved"]`, { hasText: '食材已转移至备用冷柜' }).waitFor();

      const stored = await server.store.alerts.get(id);
      expect(stored).toMatchObject({ state: 'resolved', resolution: 'corrected', resolvedBy: 'inspector-dong', acknowledgedBy: 'inspector-dong', correctiveAction: '食材已转移至备用冷柜，已报修压缩机' });

      // The network drops: the header says so. What happens meanwhile is caught up once it is back.
      const context = page.context();
      await context.setOffline(true);
      await page.locator('#conn[data-connection-state="reconnecting"]').waitFor();
      fleet.inject('canteen-fridge', 'compressor_failure');
      await expect
        .poll(async () => (await server!.store.alerts.list({ scope: { kind: 'all' }, siteId: 'east-canteen', rule: 'temperature_high', limit: 5 })).length, { timeout: 60_000 })
        .toBeGreaterThan(0);
      const missed = page.locator('[data-alert-id][data-site-id="east-canteen"][data-rule="temperature_high"]');
      expect(await missed.count()).toBe(0);
      await context.setOffline(false);
      await page.locator('#conn[data-connection-state="connected"]').waitFor();
      await missed.first().waitFor();

      // Back on the overview, the day's figures include it.
      await page.locator('#nav [data-nav="overview"]').click();
      await page.locator('[data-view="overview"][data-state="ready"]').waitFor();
      expect(await kpi(page, 'rectifiedToday')).toBe('1');
      expect(await kpi(page, 'rectificationRate')).not.toBe('—');
      expect(await kpi(page, 'medianAck')).not.toBe('—');
      await shot(page, '05-overview-after');

      // English, kept across a reload.
      await page.locator('#lang-select').selectOption('en');
      await expect.poll(() => page.locator('#nav [data-nav="overview"]').textContent()).toBe('Overview');
      await page.reload();
      await page.locator('[data-view="overview"][data-state="ready"]').waitFor();
      expect(await page.locator('[data-kpi="rectifiedToday"] .kpi-label').textContent()).toBe('Rectified today');
      await shot(page, '06-overview-en');

      // The device list stays one click away.
      await page.locator('#nav [data-nav="sites"]').click();
      await expect.poll(() => page.locator('[data-device-id]').count()).toBe(3);
      await shot(page, '07-sites');

      expect(problems).toEqual([]);
    },
    120_000,
  );
});
