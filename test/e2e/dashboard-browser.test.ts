import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { collectProblems, failedResource, launchChromium, runBrowser } from '../helpers/browser.js';
import { provisionDemoPlan, startTestServer, type TestServer } from '../helpers/server.js';


let server: TestServer | undefined;
let fleet: Fleet | undefined;
let browser: Browser | undefined;

afterEach(async () => {
  await browser?.close();
  await fleet?.stop();
  await server?.stop();
  server = fleet = browser = undefined;
});

describe('the dashboard in a real browser', () => {
  it.skipIf(!runBrowser)('shows every device of the jurisdiction and updates values live, without console errors', async () => {
    server = await startTestServer();
    const devices = await provisionDemoPlan(server, { seed: 11, sites: 2 });

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    // The refused login attempt below is expected; the browser logs its 401 as a failed resource.
    const problems = collectProblems(page, (text) => text === failedResource(401, 'Unauthorized'));

    // A city supervisor logs in through the form and sees every kitchen of the city.
    const supervisor = await server.createUser({ id: 'inspector', role: 'supervisor', scope: { kind: 'region', regionId: 'yangguang' } });
    await page.goto(`${server.httpUrl}/`);
    await page.locator('#user-input').fill(supervisor.id);
    await page.locator('#token-input').fill('wrong password');
    await page.locator('#token-submit').click();
    await page.locator('#token-error:not([hidden])').waitFor();
    await page.locator('#token-input').fill(supervisor.password);
    await page.locator('#token-submit').click();
    await page.locator('#conn[data-connection-state="connected"]').waitFor();
    // The device list is one click away from the supervisor's landing page.
    await page.locator('#nav [data-nav="sites"]').click();
    await expect.poll(() => page.locator('[data-device-id]').count()).toBe(devices.length);

    // Devices start publishing only now: what appears must have come over socket.io.
    fleet = new Fleet({ url: server.mqttUrl, devices, intervalMs: 200, seed: 11 });
    await fleet.start();
    const fridge = devices.find((d) => d.kind === 'temperature')!;
    const value = page.locator(`[data-device-id="${fridge.id}"] [data-field="primary"]`);
    await expect.poll(() => value.textContent(), { timeout: 15_000 }).toMatch(/-?\d+(\.\d)? °C/);
    // Once the devices stop, the page settles on exactly the newest stored reading.
    await fleet.stop();
    fleet = undefined;
    const [stored] = await server.store.telemetry.latest([{ id: fridge.id, kind: 'temperature' }]);
    const expected = `${(stored!.values.temperatureC as number).toFixed(1)} °C`;
    await expect.poll(() => value.textContent()).toBe(expected);
    expect(problems).toEqual([]);
  });
});
