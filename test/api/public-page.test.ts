import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Condition, PublicSite } from '../../contracts/index.js';
import { connectDevice, reading, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The public transparency page (the QR code on the door) beyond the basics in
 * provisioning.test.ts: the last grease-trap pump-out and the open alerts count,
 * and that nothing private reaches an anonymous caller.
 */
let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.stop();
});

const page = async (siteId = 'site-1') => {
  const res = await server.api.inject({ url: `/api/v1/public/sites/${siteId}` });
  expect(res.statusCode).toBe(200);
  return { body: res.json() as PublicSite, text: res.body };
};

const warm = (): Condition => ({ rule: 'temperature_high', active: true, severity: 'critical', at: Date.now(), value: 14, limit: 8, message: 'above 8 °C' });

describe('the public page', () => {
  it('shows the newest pump-out any grease trap of the site reported', async () => {
    const trapA = await server.provision({ id: 'trap-a', siteId: 'site-1', kind: 'oil_separator', profile: 'oil_separator' });
    const trapB = await server.provision({ id: 'trap-b', siteId: 'site-1', kind: 'oil_separator', profile: 'oil_separator' });
    expect((await page()).body.oilSeparators).toEqual({ total: 2, lastPumpOutAt: null });

    const now = Date.now();
    const older = now - 40 * 86_400_000;
    const newer = now - 3 * 86_400_000;
    for (const [trap, pumpedAt] of [
      [trapA, older],
      [trapB, newer],
    ] as const) {
      const client = await connectDevice(server.mqttUrl, trap.id, trap.secret);
      await client.publishAsync(`sk/v1/devices/${trap.id}/telemetry`, reading(1, { fillPct: 12, greaseMm: 30, lastPumpOutTs: pumpedAt }, now), { qos: 1 });
      await client.endAsync();
    }
    expect((await page()).body.oilSeparators).toEqual({ total: 2, lastPumpOutAt: newer });
  });

  it('counts unresolved warning and critical conditions, but an AI finding only once a person confirmed it', async () => {
    await server.provision({ id: 'fridge-1', siteId: 'site-1' });
    await server.provision({ id: 'cam-1', siteId: 'site-1', kind: 'camera', profile: 'camera' });
    await server.provision({ id: 'fridge-2', siteId: 'site-2' });
    const { lifecycle } = server.alerting;
    expect((await page()).body.openAlerts).toBe(0);

    await lifecycle.applyCondition('fridge-1', 'site-1', warm());
    await lifecycle.applyCondition('fridge-2', 'site-2', warm()); // another site's alert is not this one's
    await lifecycle.raiseFinding({ deviceId: 'cam-1', ts: Date.now(), seq: 1, boot: 'b', type: 'rodent', confidence: 0.6, receivedAt: Date.now() }, 'site-1');
    expect((await page()).body.openAlerts).toBe(1);

    const finding = lifecycle.activeAlert('cam-1', 'finding.rodent')!;
    await server.alerting.lifecycle.confirm(finding.id, 'inspector');
    expect((await page()).body.openAlerts).toBe(2);

    const fridgeAlert = lifecycle.activeAlert('fridge-1', 'temperature_high')!;
    await server.alerting.lifecycle.resolve(fridgeAlert.id, 'owner', 'moved the stock to the spare fridge');
    expect((await page()).body.openAlerts).toBe(1);
  });

  it('does not publish maintenance notices or unverified statistical anomalies as issues', async () => {
    await server.provision({ id: 'fridge-1', siteId: 'site-1' });
    await server.provision({ id: 'cam-1', siteId: 'site-1', kind: 'camera', profile: 'camera' });
    const { lifecycle } = server.alerting;
    const at = Date.now();
    // A low battery and a camera's full disk are info-level upkeep; an anomaly is a detector's guess.
    await lifecycle.applyCondition('fridge-1', 'site-1', { rule: 'battery_low', active: true, severity: 'info', at, value: 12, limit: 20, message: 'battery 12 %' });
    await lifecycle.applyCondition('cam-1', 'site-1', { rule: 'camera_storage_low', active: true, severity: 'info', at, value: 3, limit: 5, message: 'storage 3 %' });
    await lifecycle.applyCondition('fridge-1', 'site-1', { rule: 'anomaly', active: true, severity: 'warning', at, value: 6, limit: 4, message: 'unusual readings' });
    expect((await page()).body.openAlerts).toBe(0);
    await lifecycle.applyCondition('fridge-1', 'site-1', warm());
    expect((await page()).body.openAlerts).toBe(1);
  });

  it('carries no device ids, secrets, alert texts, corrective actions or user names', async () => {
    const fridge = await server.provision({ id: 'fridge-private-id', siteId: 'site-1' });
    const trap = await server.provision({ id: 'trap-private-id', siteId: 'site-1', kind: 'oil_separator', profile: 'oil_separator' });
    await server.provision({ id: 'cam-private-id', siteId: 'site-1', kind: 'camera', profile: 'camera' });
    await server.alerting.lifecycle.applyCondition(fridge.id, 'site-1', warm());
    const alert = server.alerting.lifecycle.activeAlert(fridge.id, 'temperature_high')!;
    await server.alerting.lifecycle.assign(alert.id, 'inspector-zhang', 'owner-li');
    await server.alerting.lifecycle.comment(alert.id, 'inspector-zhang', 'private remark about the owner');

    const { body, text } = await page();
    expect(body.openAlerts).toBe(1);
    for (const secretOrPrivate of [fridge.id, fridge.secret, trap.id, trap.secret, 'cam-private-id', 'inspector-zhang', 'owner-li', 'private remark', 'above 8 °C']) {
      expect(text).not.toContain(secretOrPrivate);
    }
    // Exactly the documented keys: a new field has to be added here on purpose.
    expect(Object.keys(body).sort()).toEqual(['address', 'cameras', 'devices', 'name', 'oilSeparators', 'openAlerts', 'region', 'siteId', 'temperature', 'timezone']);
  });

  it('has a short address for the QR code on the door: /p/<siteId> opens the page', async () => {
    const res = await server.api.inject({ url: '/p/site-1' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/public.html?site=site-1');
    expect((await server.api.inject({ url: '/p/..%2Fetc' })).statusCode).toBe(400);
  });
});
