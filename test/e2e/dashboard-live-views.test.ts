import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Condition, Severity } from '../../contracts/index.js';
import { collectProblems, launchChromium, runBrowser, signIn } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The views stay right while things change under them. What a supervisor is in
 * the middle of must survive the dashboard catching up: the socket reconnects
 * whenever the network blips or the access token expires (every 15 minutes), and
 * each time the views re-read over REST.
 */

let server: TestServer;
let browser: Browser;
let page: Page | undefined;
let problems: string[] = [];

const condition = (severity: Severity, rule: Condition['rule'] = 'temperature_high'): Condition => ({
  rule,
  active: true,
  severity,
  at: Date.now(),
  value: 9,
  limit: 8,
  message: 'above 8 °C',
});

beforeAll(async () => {
  if (!runBrowser) return;
  browser = await launchChromium();
});
beforeEach(async () => {
  if (!runBrowser) return;
  // No engine ticks: the alerts here are the test's own.
  server = await startTestServer({ SK_ALERT_TICK_MS: '3600000' });
  await server.provision({ id: 'fridge-1', siteId: 'site-1' });
  await server.provision({ id: 'fridge-2', siteId: 'site-1' });
  await server.provision({ id: 'fridge-3', siteId: 'site-1' });
  await server.provision({ id: 'cam-1', siteId: 'site-1', kind: 'camera', profile: 'camera' });
});
afterEach(async () => {
  await page?.close();
  page = undefined;
  await server?.stop();
  expect(problems).toEqual([]);
  problems = [];
});
afterAll(async () => {
  await browser?.close();
});

interface LoginOptions {
  /** Who signs in; a supervisor of district-a unless given. */
  as?: Parameters<TestServer['createUser']>[0];
  /** Runs on the page before it loads. */
  prepare?: (p: Page) => Promise<unknown>;
  /** Console errors the test provokes on purpose. */
  expected?: (text: string) => boolean;
}

async function login(hash: string, options: LoginOptions = {}): Promise<Page> {
  const user = await server.createUser(options.as ?? { id: 'inspector', role: 'supervisor', scope: { kind: 'region', regionId: 'district-a' } });
  const p = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page = p;
  await options.prepare?.(p);
  // While the test takes the network away, the socket's attempts fail with ERR_INTERNET_DISCONNECTED.
  problems = collectProblems(p, (text) => text.includes('ERR_INTERNET_DISCONNECTED') || (options.expected?.(text) ?? false));
  await signIn(p, `${server.httpUrl}/${hash}`, user);
  return p;
}

/** The network drops and comes back: the socket reconnects and every view re-reads. `meanwhile` happens while it is down. */
async function networkBlip(p: Page, meanwhile: () => Promise<unknown>): Promise<void> {
  await p.context().setOffline(true);
  await p.locator('#conn[data-connection-state="reconnecting"]').waitFor();
  await meanwhile();
  await p.context().setOffline(false);
  await p.locator('#conn[data-connection-state="connected"]').waitFor();
}

describe.skipIf(!runBrowser)('catching up after a reconnection', () => {
  it('keeps a note being typed in the alert feed, with the focus in it, while the feed takes in what it missed', async () => {
    const { lifecycle } = server.alerting;
    await lifecycle.applyCondition('fridge-1', 'site-1', condition('warning'));
    const [first] = await server.store.alerts.list({ scope: { kind: 'all' }, limit: 5 });
    const p = await login('#/alerts');
    await p.locator('[data-view="alerts"][data-state="ready"]').waitFor();
    const row = p.locator(`[data-alert-id="${first!.id}"]`);
    await row.locator('[data-action="work"]').click();
    const note = row.locator('[data-field="note"]');
    await note.pressSequentially('温度计已校准，');

    await networkBlip(p, () => lifecycle.applyCondition('fridge-2', 'site-1', condition('critical')));
    // The alert raised while offline is caught up by the re-read…
    await p.locator('[data-alert-id][data-severity="critical"]').waitFor();
    expect(await p.locator('[data-alert-id]').count()).toBe(2);
    // …and the note is still there, still focused: typing carries on.
    expect(await note.inputValue()).toBe('温度计已校准，');
    expect(await p.evaluate('document.activeElement?.dataset.field')).toBe('note');
    await p.keyboard.type('冷柜正常');
    expect(await note.inputValue()).toBe('温度计已校准，冷柜正常');
  }, 60_000);

  it('keeps a dismiss reason being typed on a camera finding in the site view', async () => {
    const { lifecycle } = server.alerting;
    await lifecycle.raiseFinding({ deviceId: 'cam-1', ts: Date.now(), receivedAt: Date.now(), seq: 1, boot: 'b', type: 'rodent', confidence: 0.7 }, 'site-1');
    const p = await login('#/sites/site-1');
    await p.locator('[data-view="site"][data-state="ready"]').waitFor();
    const finding = p.locator('[data-card="camera"] [data-finding-alert]');
    await finding.locator('[data-action="dismiss"]').click();
    const reason = finding.locator('.dismiss-form input');
    await reason.pressSequentially('是猫，不是老鼠');

    await networkBlip(p, () => lifecycle.applyCondition('fridge-1', 'site-1', condition('warning')));
    // The re-read happened (the alert raised while offline is counted)…
    await p.locator('[data-field="open-alerts"][data-count="2"]').waitFor();
    // …and the reason is still being typed.
    expect(await reason.isVisible()).toBe(true);
    expect(await reason.inputValue()).toBe('是猫，不是老鼠');
    expect(await p.evaluate('document.activeElement?.id')).toBe(await reason.getAttribute('id'));
  }, 60_000);

  it('re-reads the device in the device view: a presence change missed while offline shows', async () => {
    const p = await login('#/devices/fridge-1');
    await p.locator('[data-view="device"][data-state="ready"]').waitFor();
    const row = p.locator('[data-view="device"] [data-device-id="fridge-1"]');
    expect(await row.getAttribute('data-online')).toBe('false');
    await networkBlip(p, () => server.store.registry.setPresence('fridge-1', true, Date.now()));
    await p.locator('[data-view="device"] [data-device-id="fridge-1"][data-online="true"]').waitFor({ timeout: 10_000 });
  }, 60_000);

  it('reads the site again when a reconnection comes while a read is still running', async () => {
    // The site view's first read of its alerts is answered with what the server said at once, but only later.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const user = await server.createUser({ id: 'inspector', role: 'supervisor', scope: { kind: 'region', regionId: 'district-a' } });
    const p = await browser.newPage();
    page = p;
    problems = collectProblems(p, (text) => text.includes('ERR_INTERNET_DISCONNECTED'));
    await p.route('**/api/v1/alerts?*', async (route) => {
      if (!first) return route.continue();
      first = false;
      const response = await route.fetch();
      await held;
      await route.fulfill({ response });
    });
    await signIn(p, `${server.httpUrl}/#/sites/site-1`, user);
    await expect.poll(() => first).toBe(false);
    // Meanwhile the network blips and an alert is raised: the reconnection asks for a re-read while the first is running.
    await networkBlip(p, () => server.alerting.lifecycle.applyCondition('fridge-1', 'site-1', condition('warning')));
    release();
    await p.locator('[data-field="open-alerts"][data-count="1"]').waitFor({ timeout: 10_000 });
  }, 60_000);

  it('shows the newest filter’s alerts when an older filter’s answer arrives last', async () => {
    const { lifecycle } = server.alerting;
    await lifecycle.applyCondition('fridge-1', 'site-1', condition('warning'));
    await lifecycle.applyCondition('fridge-2', 'site-1', condition('critical'));
    const p = await login('#/alerts');
    await p.locator('[data-view="alerts"][data-state="ready"]').waitFor();
    expect(await p.locator('[data-alert-id]').count()).toBe(2);

    // The answer for "critical" is held back until the answer for "warning" is shown.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await p.route('**/api/v1/alerts?*', async (route) => {
      if (new URL(route.request().url()).searchParams.get('severity') === 'critical') await held;
      await route.continue();
    });
    const slow = p.waitForEvent('requestfinished', (r) => new URL(r.url()).searchParams.get('severity') === 'critical');
    await p.locator('#alert-filter-severity').selectOption('critical');
    await p.locator('#alert-filter-severity').selectOption('warning');
    await expect.poll(() => p.locator('[data-alert-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')))).toEqual(['warning']);
    release();
    await slow;
    // Let the page handle the late answer before looking.
    await p.evaluate('new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 100)))');
    expect(await p.locator('[data-alert-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')))).toEqual(['warning']);
  }, 60_000);
});

describe.skipIf(!runBrowser)('the alert feed of one site', () => {
  it('follows the site view’s “open alerts” link to that site’s alerts only, live too, until the filter is cleared', async () => {
    await server.provision({ id: 'other-fridge', siteId: 'site-2' });
    const { lifecycle } = server.alerting;
    await lifecycle.applyCondition('fridge-1', 'site-1', condition('warning'));
    await lifecycle.applyCondition('other-fridge', 'site-2', condition('warning'));
    const p = await login('#/sites/site-1');
    await p.locator('[data-view="site"][data-state="ready"]').waitFor();
    await p.locator('[data-field="open-alerts"] a').click();
    await p.locator('[data-view="alerts"][data-state="ready"]').waitFor();
    const sitesShown = () => p.locator('[data-alert-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-site-id')));
    expect(await sitesShown()).toEqual(['site-1']);
    expect(await p.locator('#alert-filter-site').textContent()).toContain('餐厅 site-1');

    // Live: another site's new alert stays out, this site's comes in.
    await lifecycle.applyCondition('other-fridge', 'site-2', condition('critical', 'temperature_low'));
    await lifecycle.applyCondition('fridge-2', 'site-1', condition('warning'));
    await expect.poll(sitesShown).toEqual(['site-1', 'site-1']);

    await p.locator('[data-action="clear-site"]').click();
    await expect.poll(async () => (await sitesShown()).sort()).toEqual(['site-1', 'site-1', 'site-2', 'site-2']);
    expect(p.url()).not.toContain('siteId');
  }, 60_000);
});

describe.skipIf(!runBrowser)('a site whose live updates are refused', () => {
  it('says so instead of looking connected, keeps trying, and catches up once the subscription goes through', async () => {
    await server.provision({ id: 'other-fridge', siteId: 'site-2' });
    // The supervisor's scope is one township's neighbour: site-2 is not theirs (yet).
    await server.store.registry.upsertRegion({ id: 'town-a2', name: '东二镇', level: 'township', parentId: 'district-a' });
    await server.store.registry.upsertSite({ id: 'site-2', name: '餐厅 site-2', regionId: 'town-a2' });
    const p = await login('#/sites/site-2', {
      as: { id: 'town-inspector', role: 'supervisor', scope: { kind: 'region', regionId: 'town-a1' } },
      // The REST read of a site outside the scope answers 404, which the browser logs.
      expected: (text) => text.includes('404'),
    });
    await p.locator('#status:not([hidden])', { hasText: 'not_found' }).waitFor();
    expect(await p.locator('#conn').getAttribute('data-connection-state')).toBe('connected');

    // The district becomes theirs: the next try goes through and the view re-reads, without a reload.
    const res = await server.api.inject({
      method: 'PATCH',
      url: '/api/v1/users/town-inspector',
      headers: { authorization: `Bearer ${server.adminToken}` },
      payload: { role: 'supervisor', scope: { kind: 'region', regionId: 'district-a' } },
    });
    expect(res.statusCode).toBe(200);
    await p.locator('[data-view="site"][data-state="ready"]').waitFor({ timeout: 20_000 });
    await p.locator('#status').waitFor({ state: 'hidden' });
  }, 60_000);
});

describe.skipIf(!runBrowser)('the site view’s region trail', () => {
  it('links a district supervisor to the overviews of their district and below, not to the city’s (which answers 404)', async () => {
    const p = await login('#/sites/site-1');
    await p.locator('[data-view="site"][data-state="ready"]').waitFor();
    expect(await p.locator('.crumbs').textContent()).toBe('阳光市 › 东区 › 东一镇');
    expect(await p.locator('.crumbs a').evaluateAll((els) => els.map((e) => e.getAttribute('href')))).toEqual(['#/overview/district-a', '#/overview/town-a1']);
  }, 60_000);
});

describe.skipIf(!runBrowser)('the overview', () => {
  it('notes the unacknowledged alerts under the open alerts, not under today’s new ones', async () => {
    await server.alerting.lifecycle.applyCondition('fridge-1', 'site-1', condition('warning'));
    const p = await login('#/overview/district-a');
    await p.locator('[data-view="overview"][data-state="ready"]').waitFor();
    expect(await p.locator('[data-kpi="openAlerts"]').textContent()).toContain('其中 1 条待处理');
    expect(await p.locator('[data-kpi="raisedToday"]').textContent()).not.toContain('待处理');
  }, 60_000);
});

describe.skipIf(!runBrowser)('the secret shown once, on plain HTTP at a LAN address', () => {
  it('selects the secret for a manual copy where the page has no clipboard API', async () => {
    // Outside a secure context (http://192.168.x.x) browsers leave navigator.clipboard undefined.
    const p = await login('#/provision', { as: { role: 'admin' }, prepare: (target) => target.addInitScript("Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined })") });
    await p.locator('[data-view="provision"][data-state="ready"]').waitFor();
    await p.locator('#prov-site').selectOption('site-1');
    await p.locator('#prov-id').fill('walkin-9');
    await p.locator('#prov-label').fill('冷库 9');
    await p.locator('#prov-submit').click();
    const secret = await p.locator('#secret-value').textContent();
    await p.locator('[data-action="copy-secret"]').click();
    await p.locator('[data-field="copy-status"]', { hasText: '手动' }).waitFor();
    expect(await p.evaluate('String(window.getSelection())')).toBe(secret);
  }, 60_000);
});
