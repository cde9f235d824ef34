import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { publishHistory } from '../../simulators/history.js';
import { createModel, type DeviceModel } from '../../simulators/models/index.js';
import { collectProblems, launchChromium, runBrowser, signIn, screenshot } from '../helpers/browser.js';
import { connectDevice, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The site, device, provisioning and public views in headless Chromium against
 * the real backend. Readings come from the simulators' device models, published
 * over real MQTT with the device's own timestamps (a week of history in batches).
 * Screenshots go to test-results/screenshots/ (git-ignored) to be looked at.
 */

const DAY = 86_400_000;

let server: TestServer;
let browser: Browser;
let page: Page | undefined;
let problems: string[] = [];
const clients: MqttClient[] = [];
let cameraClient: MqttClient;
let fridgeClient: MqttClient;

interface Provisioned {
  id: string;
  secret: string;
}

/** Publishes `model`'s readings from `from` to `to` every `stepMs` over a fresh connection, as the device's buffered history. */
async function backfill(device: Provisioned, model: DeviceModel, from: number, to: number, stepMs: number, boot = 'boot-1'): Promise<MqttClient> {
  const client = await connectDevice(server.mqttUrl, device.id, device.secret);
  clients.push(client);
  await publishHistory(client, device.id, model, { from, to, stepMs, boot });
  return client;
}

async function login(user: { id: string; password: string }, hash = ''): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page = p;
  problems = collectProblems(p);
  await signIn(p, `${server.httpUrl}/${hash}`, user);
  return p;
}

beforeAll(async () => {
  if (!runBrowser) return;
  server = await startTestServer();
  browser = await launchChromium();
  await seedSite();
});
afterEach(async () => {
  await page?.close();
  page = undefined;
  expect(problems).toEqual([]);
  problems = [];
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await browser?.close();
  await server?.stop();
});

/**
 * Site 1 in 东区 (district-a): a fridge with a week of readings whose compressor
 * failed for six hours two days ago, a grease trap with 20 days, a camera with an hour.
 */
async function seedSite(): Promise<void> {
  const now = Date.now();
  const fridge = await server.provision({ id: 'fridge-1', siteId: 'site-1' });
  const trap = await server.provision({ id: 'trap-1', siteId: 'site-1', kind: 'oil_separator', profile: 'oil_separator' });
  const cam = await server.provision({ id: 'cam-1', siteId: 'site-1', kind: 'camera', profile: 'camera' });
  const fridgeModel = createModel('temperature', 'chilled', 7);
  const failAt = now - 2 * DAY;
  await backfill(fridge, fridgeModel, now - 7 * DAY, failAt, 5 * 60_000);
  fridgeModel.inject('compressor_failure', failAt);
  await backfill(fridge, fridgeModel, failAt + 5 * 60_000, failAt + 6 * 3_600_000, 5 * 60_000, 'boot-2');
  fridgeModel.clear('compressor_failure');
  fridgeClient = await backfill(fridge, fridgeModel, failAt + 6 * 3_600_000 + 5 * 60_000, now - 60_000, 5 * 60_000, 'boot-3');
  // A reading no fridge can take: quarantined with its reason, shown in the device view.
  await fridgeClient.publishAsync('sk/v1/devices/fridge-1/telemetry', JSON.stringify({ ts: now - 30_000, seq: 99_999, boot: 'boot-3', temperatureC: 999 }), { qos: 1 });
  await backfill(trap, createModel('oil_separator', 'oil_separator', 3), now - 20 * DAY, now - 60_000, 3_600_000);
  cameraClient = await backfill(cam, createModel('camera', 'camera', 5), now - 3_600_000, now - 60_000, 60_000);
}

describe.skipIf(!runBrowser)('site view', () => {
  it('draws a week of temperatures with the alarm band and the excursion shaded, the grease trap gauge, and lets a supervisor confirm an AI finding', async () => {
    await cameraClient.publishAsync('sk/v1/devices/cam-1/events', JSON.stringify({ ts: Date.now() - 30_000, seq: 1000, boot: 'boot-1', type: 'rodent', confidence: 0.72 }), { qos: 1 });
    await expect.poll(() => server.store.alerts.list({ scope: { kind: 'all' }, category: 'finding', limit: 10 }).then((a) => a.length)).toBe(1);

    const supervisor = await server.createUser({ id: 'inspector-east', role: 'supervisor', scope: { kind: 'region', regionId: 'district-a' } });
    const p = await login(supervisor, '#/sites/site-1');
    await p.locator('[data-view="site"][data-state="ready"]').waitFor();

    // The fridge's chart: a week of buckets, the chilled band 0–8 °C from the effective rules, the failure shaded.
    const chart = p.locator('[data-card="temperature"][data-device-id="fridge-1"] [data-chart]');
    await expect.poll(() => chart.getAttribute('data-points')).not.toBe('0');
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(400);
    expect(await chart.getAttribute('data-band-min')).toBe('0');
    expect(await chart.getAttribute('data-band-max')).toBe('8');
    expect(Number(await chart.getAttribute('data-excursions'))).toBeGreaterThanOrEqual(1);
    expect(await chart.locator('canvas').count()).toBe(1);
    await expect.poll(() => p.locator('[data-card="temperature"] [data-field="band"]').textContent()).toContain('8.0 °C');

    // The grease trap: a fill gauge and the pump-out the device reported.
    const gauge = p.locator('[data-card="oil"] [data-field="fill"]');
    expect(Number(await gauge.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(0);
    await expect.poll(() => p.locator('[data-card="oil"] [data-field="last-pump-out"] time').count()).toBe(1);

    // The camera's finding, confirmed by the supervisor.
    const finding = p.locator('[data-card="camera"] [data-finding-alert]');
    await expect.poll(() => finding.getAttribute('data-verdict')).toBe('pending');
    await screenshot(p, 'site-view');
    await finding.locator('[data-action="confirm"]').click();
    await expect.poll(() => finding.getAttribute('data-verdict')).toBe('confirmed');
    const [stored] = await server.store.alerts.list({ scope: { kind: 'all' }, category: 'finding', limit: 1 });
    expect(stored).toMatchObject({ verdict: 'confirmed', acknowledgedBy: 'inspector-east' });

    // A reading taken now arrives live: the card's value and its chart's newest bucket follow without a reload.
    const points = Number(await chart.getAttribute('data-points'));
    await fridgeClient.publishAsync('sk/v1/devices/fridge-1/telemetry', JSON.stringify({ ts: Date.now(), seq: 100_000, boot: 'boot-3', temperatureC: 6.6 }), { qos: 1 });
    await expect.poll(() => p.locator('[data-card="temperature"] [data-field="primary"]').textContent()).toBe('6.6 °C');
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(points);
    expect(Number(await chart.getAttribute('data-to'))).toBeGreaterThan(Date.now() - 60_000);

    // In English, the same view with its charts again.
    await p.locator('#lang-select').selectOption('en');
    await p.locator('[data-view="site"][data-state="ready"] [data-section="temperature"] h3', { hasText: 'Temperatures' }).waitFor();
    await expect.poll(() => p.locator('[data-card="temperature"] [data-field="band"]').textContent()).toBe('Alarm limits 0.0 °C to 8.0 °C');
    await screenshot(p, 'site-view-en');
  });
});

describe.skipIf(!runBrowser)('device view', () => {
  it('zooms into a dragged range by asking the server for finer buckets, and lists the alerts and the quarantined payload', async () => {
    const supervisor = await server.createUser({ role: 'supervisor', scope: { kind: 'region', regionId: 'district-a' } });
    const p = await login(supervisor, '#/devices/fridge-1');
    await p.locator('[data-view="device"][data-state="ready"]').waitFor();
    const chart = p.locator('[data-view="device"] [data-chart]');

    const week = p.waitForResponse((r) => r.url().includes('/devices/fridge-1/history'));
    await p.locator('[data-range="range7d"]').click();
    await week;
    await expect.poll(() => chart.getAttribute('data-bucket-ms').then(Number)).toBeGreaterThan(5 * 60_000);
    const weekBucket = Number(await chart.getAttribute('data-bucket-ms'));
    const weekFrom = Number(await chart.getAttribute('data-from'));
    await screenshot(p, 'device-view-week');

    // Drag across the middle tenth of the plot: the view asks the API for that range again.
    const plot = await chart.locator('.u-over').boundingBox();
    const zoomed = p.waitForResponse((r) => r.url().includes('/devices/fridge-1/history'));
    await p.mouse.move(plot!.x + plot!.width * 0.45, plot!.y + plot!.height / 2);
    await p.mouse.down();
    await p.mouse.move(plot!.x + plot!.width * 0.55, plot!.y + plot!.height / 2, { steps: 5 });
    await p.mouse.up();
    const answer = await (await zoomed).json();
    await expect.poll(() => chart.getAttribute('data-bucket-ms').then(Number)).toBe(answer.bucketMs);
    expect(answer.bucketMs).toBeLessThan(weekBucket / 5);
    expect(Number(await chart.getAttribute('data-from'))).toBeGreaterThan(weekFrom);
    expect(Number(await chart.getAttribute('data-to')) - Number(await chart.getAttribute('data-from'))).toBeLessThan(DAY);
    expect(answer.points.length).toBeGreaterThan(0);

    // The compressor failure left temperature alerts; the impossible 999 °C reading is in the quarantine.
    await expect.poll(() => p.locator('[data-section="alerts"] tr[data-alert-id]').count()).toBeGreaterThan(0);
    const quarantined = p.locator('[data-section="quarantine"] tr[data-quarantine-id]');
    await expect.poll(() => quarantined.count()).toBe(1);
    expect(await quarantined.textContent()).toContain('999');
    await screenshot(p, 'device-view-zoomed');
  });
});

describe.skipIf(!runBrowser)('provisioning', () => {
  it('an operator registers a device and sees its secret once, with a copy button; the secret works over MQTT until rotated; revoking ends it', async () => {
    await server.provision({ id: 'seed-2', siteId: 'site-2' });
    const operator = await server.createUser({ id: 'owner-2', role: 'operator', scope: { kind: 'sites', siteIds: ['site-2'] } });
    const p = await login(operator, '#/provision');
    await p.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.httpUrl });
    await p.locator('[data-view="provision"][data-state="ready"]').waitFor();
    // Only the operator's own site is offered.
    expect(await p.locator('#prov-site option').count()).toBe(1);
    expect(await p.locator('#prov-site').inputValue()).toBe('site-2');

    await p.locator('#prov-id').fill('walkin-1');
    await p.locator('#prov-label').fill('冷库 1');
    await p.locator('#prov-kind').selectOption('temperature');
    await p.locator('#prov-profile').selectOption('chilled');
    await p.locator('#prov-submit').click();
    const secret = (await p.locator('#secret-value').textContent())!;
    expect(secret.length).toBeGreaterThanOrEqual(16);
    expect(await p.locator('#secret-panel').textContent()).toContain('只显示这一次');
    await p.locator('[data-action="copy-secret"]').click();
    await p.locator('[data-field="copy-status"]', { hasText: '已复制' }).waitFor();
    expect(await p.evaluate('navigator.clipboard.readText()')).toBe(secret);
    await screenshot(p, 'provision-secret');

    // The secret shown is the device's MQTT password.
    const device = await connectDevice(server.mqttUrl, 'walkin-1', secret);
    clients.push(device);
    await p.locator('[data-provision-device="walkin-1"]').waitFor();

    // Closed, it is gone from the page, and coming back does not show it again.
    await p.locator('[data-action="secret-done"]').click();
    expect(await p.locator('#secret-value').count()).toBe(0);
    await p.evaluate("window.location.hash = '#/sites'");
    await p.evaluate("window.location.hash = '#/provision'");
    await p.locator('[data-provision-device="walkin-1"]').waitFor();
    expect(await p.content()).not.toContain(secret);

    // Rotating shows a new secret; the old one is refused from then on.
    p.once('dialog', (dialog) => void dialog.accept());
    await p.locator('[data-provision-device="walkin-1"] [data-action="rotate"]').click();
    await expect.poll(() => p.locator('#secret-value').textContent()).not.toBe(secret);
    const rotated = (await p.locator('#secret-value').textContent())!;
    expect(rotated.length).toBeGreaterThanOrEqual(16);
    await expect(connectDevice(server.mqttUrl, 'walkin-1', secret)).rejects.toThrow();
    const again = await connectDevice(server.mqttUrl, 'walkin-1', rotated);
    clients.push(again);

    // Revoking: the row says so and the device cannot connect any more.
    p.once('dialog', (dialog) => void dialog.accept());
    await p.locator('[data-provision-device="walkin-1"] [data-action="revoke"]').click();
    await p.locator('[data-provision-device="walkin-1"][data-state="revoked"]').waitFor();
    await expect(connectDevice(server.mqttUrl, 'walkin-1', rotated)).rejects.toThrow();
  });
});

describe.skipIf(!runBrowser)('public page', () => {
  it('opens from the QR link on a phone without logging in, shows the summaries and nothing private, in both languages', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    page = p;
    problems = collectProblems(p);
    const publicSummary = async () => (await (await fetch(`${server.httpUrl}/api/v1/public/sites/site-1`)).json()) as { openAlerts: number; temperature: { compliance: number | null } };
    // Alerts keep coming while the page loads: its count is the API's at some moment around the load.
    const openAlertsBefore = (await publicSummary()).openAlerts;
    await p.goto(`${server.httpUrl}/p/site-1`);
    expect(new URL(p.url()).pathname).toBe('/public.html');
    await p.locator('#public-main[data-state="ready"]').waitFor();

    const api = await publicSummary();
    expect(await p.locator('.public-name').textContent()).toBe('餐厅 site-1');
    const compliance = await p.locator('[data-fact="compliance"] [data-value]').textContent();
    expect(compliance).toBe(`${Math.round(api.temperature.compliance! * 100)} %`);
    expect(await p.locator('[data-fact="pump-out"] [data-value] time').count()).toBe(1);
    expect(await p.locator('[data-fact="cameras"] [data-value]').textContent()).toMatch(/\d+ \/ 1 路直播中/);
    const shownOpenAlerts = await p.locator('[data-fact="open-alerts"] [data-value]').textContent();
    const openAlertsAfter = (await publicSummary()).openAlerts;
    const asShown = (n: number) => (n === 0 ? '无' : String(n));
    expect([openAlertsBefore, api.openAlerts, openAlertsAfter].map(asShown)).toContain(shownOpenAlerts);
    // Fits the phone: nothing wider than the screen.
    expect(await p.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(p, 'public-phone');

    // Nothing private: no device ids, no user names, no alert texts, no secrets.
    const html = await p.content();
    for (const privateText of ['fridge-1', 'trap-1', 'cam-1', 'inspector-east', 'owner-2', 'compressor', 'rodent', '°C']) expect(html).not.toContain(privateText);

    await p.locator('#public-lang').click();
    await p.locator('[data-fact="compliance"] .fact-label', { hasText: 'Temperature compliance' }).waitFor();
    await screenshot(p, 'public-phone-en');
    await phone.close();
  });
});
