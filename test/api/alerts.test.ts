import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, Condition } from '../../contracts/index.js';
import { connectDashboard, startTestServer, type DashboardSocket, type TestServer } from '../helpers/server.js';

let server: TestServer;
let auth: { authorization: string };
let socket: DashboardSocket | undefined;

beforeEach(async () => {
  server = await startTestServer();
  auth = { authorization: `Bearer ${server.adminToken}` };
});
afterEach(async () => {
  socket?.close();
  socket = undefined;
  await server.stop();
});

const warm = (active = true): Condition => ({
  rule: 'temperature_high',
  active,
  severity: 'warning',
  at: Date.now(),
  value: active ? 9.5 : 4,
  limit: 8,
  message: 'temperature above 8 °C',
});

const request = (method: 'GET' | 'POST', url: string, payload?: object) => server.api.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

/** Raises an alert the way the engine does: a rule's verdict handed to the lifecycle. */
async function raise(deviceId = 'fridge-1', condition = warm()): Promise<Alert> {
  const { siteId } = await server.provision({ id: deviceId });
  await server.alerting.lifecycle.applyCondition(deviceId, siteId, condition);
  return server.alerting.lifecycle.activeAlert(deviceId, condition.rule)!;
}

describe('alerts over REST', () => {
  it('lists and filters alerts and shows one with its history', async () => {
    const first = await raise('fridge-1');
    const second = await raise('fridge-2', { ...warm(), rule: 'door_open', severity: 'critical' });
    const list = await request('GET', '/api/v1/alerts?state=active');
    expect(list.statusCode).toBe(200);
    expect(list.json().map((a: Alert) => a.id)).toEqual([second.id, first.id]);
    expect((await request('GET', '/api/v1/alerts?severity=critical')).json().map((a: Alert) => a.id)).toEqual([second.id]);
    expect((await request('GET', '/api/v1/alerts?regionId=district-a&deviceId=fridge-1')).json().map((a: Alert) => a.id)).toEqual([first.id]);
    expect((await request('GET', '/api/v1/alerts?siteId=site-1&limit=1')).json()).toHaveLength(1);

    const one = await request('GET', `/api/v1/alerts/${first.id}`);
    expect(one.json()).toMatchObject({ id: first.id, rule: 'temperature_high', state: 'open', events: [{ type: 'raised', actor: 'system' }] });
  });

  it('takes an alert through acknowledge, assign, comment and resolve, recording who did each', async () => {
    const alert = await raise();
    const ack = await request('POST', `/api/v1/alerts/${alert.id}/acknowledge`);
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'admin-token' });
    const again = await request('POST', `/api/v1/alerts/${alert.id}/acknowledge`);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ code: 'invalid_transition', message: expect.stringContaining('acknowledged') });

    expect((await request('POST', `/api/v1/alerts/${alert.id}/assign`, { assignee: 'technician-3' })).json().assignee).toBe('technician-3');
    expect((await request('POST', `/api/v1/alerts/${alert.id}/comments`, { text: '门封条破损' })).statusCode).toBe(200);
    const resolved = await request('POST', `/api/v1/alerts/${alert.id}/resolve`, { correctiveAction: '更换门封条，食品转移到备用冰箱' });
    expect(resolved.json()).toMatchObject({ state: 'resolved', resolution: 'corrected', correctiveAction: '更换门封条，食品转移到备用冰箱' });

    const history = (await request('GET', `/api/v1/alerts/${alert.id}`)).json().events.map((e: { type: string; actor: string; text: string | null }) => [e.type, e.actor, e.text]);
    expect(history).toEqual([
      ['raised', 'system', 'temperature above 8 °C'],
      ['acknowledged', 'admin-token', null],
      ['assigned', 'admin-token', 'technician-3'],
      ['commented', 'admin-token', '门封条破损'],
      ['resolved', 'admin-token', '更换门封条，食品转移到备用冰箱'],
    ]);
  });

  it('refuses bad requests with a 4xx that names the problem', async () => {
    const alert = await raise();
    const cases: [string, string, object | undefined, number, string][] = [
      ['POST', `/api/v1/alerts/${alert.id}/resolve`, {}, 400, 'correctiveAction'],
      ['POST', `/api/v1/alerts/${alert.id}/resolve`, { correctiveAction: '   ' }, 400, 'correctiveAction'],
      ['POST', `/api/v1/alerts/${alert.id}/comments`, { text: 'ok', admin: true }, 400, 'admin'],
      ['POST', `/api/v1/alerts/${alert.id}/comments`, { text: 'x'.repeat(2_001) }, 400, 'text'],
      ['POST', `/api/v1/alerts/${alert.id}/confirm`, undefined, 409, 'finding'],
      ['GET', '/api/v1/alerts/999999', undefined, 404, 'alert'],
      ['GET', '/api/v1/alerts/abc', undefined, 400, 'alertId'],
      ['GET', '/api/v1/alerts?state=burning', undefined, 400, 'state'],
      ['GET', '/api/v1/alerts?limit=100000', undefined, 400, 'limit'],
      ['GET', '/api/v1/alerts?regionId=nowhere', undefined, 404, 'region'],
      ['GET', '/api/v1/alerts?siteId=nowhere', undefined, 404, 'site'],
      ['GET', '/api/v1/alerts/analytics?from=10&to=5', undefined, 400, 'to'],
    ];
    for (const [method, url, payload, status, mention] of cases) {
      const res = await request(method as 'GET' | 'POST', url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(status);
      expect(res.json().message, `${method} ${url}`).toContain(mention);
    }
    // Bad requests changed nothing: the alert is as it was raised, and still works normally.
    const after = (await request('GET', `/api/v1/alerts/${alert.id}`)).json();
    expect(after).toMatchObject({ state: 'open', correctiveAction: null, acknowledgedAt: null });
    expect(after.events.map((e: { type: string }) => e.type)).toEqual(['raised']);
    expect((await request('POST', `/api/v1/alerts/${alert.id}/acknowledge`)).json().state).toBe('acknowledged');
  });

  it('reports analytics for a period', async () => {
    const from = Date.now() - 1_000;
    const a = await raise('fridge-1');
    await raise('fridge-2');
    await request('POST', `/api/v1/alerts/${a.id}/acknowledge`);
    await request('POST', `/api/v1/alerts/${a.id}/resolve`, { correctiveAction: 'fixed' });
    const stats = await request('GET', `/api/v1/alerts/analytics?from=${from}&to=${Date.now() + 1_000}&regionId=city`);
    expect(stats.statusCode).toBe(200);
    // One of the two raised was rectified; the other, still open, counts against the rate.
    expect(stats.json()).toMatchObject({ raised: 2, resolved: 1, rectified: 1, open: 1, rectificationRate: 0.5, timeToAcknowledge: { count: 1 } });
  });

  it('pushes alert:raised, alert:updated and alert:resolved to a dashboard without subscribing', async () => {
    await server.provision({ id: 'fridge-1' });
    socket = await connectDashboard(server.httpUrl, server.adminToken);
    const events: [string, Alert][] = [];
    const got = new Promise<void>((resolve) => {
      socket!.on('alerts', (changes) => {
        for (const { event, alert } of changes) {
          events.push([event, alert]);
          if (event === 'alert:resolved') resolve();
        }
      });
    });
    const { lifecycle } = server.alerting;
    await lifecycle.applyCondition('fridge-1', 'site-1', warm());
    await lifecycle.applyCondition('fridge-1', 'site-1', { ...warm(), severity: 'critical', value: 14 });
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(false));
    await got;
    expect(events.map(([name, a]) => `${name}:${a.severity}:${a.state}`)).toEqual(['alert:raised:warning:open', 'alert:updated:critical:open', 'alert:resolved:critical:resolved']);
  });

  it('sends the first change after a quiet spell at once, and the changes within the batch window together, in order', { timeout: 20_000 }, async () => {
    await server.stop();
    // A long window, so that the three later changes fall inside it however slow the machine is,
    // and a first change held for the window would come seconds late.
    server = await startTestServer({ SK_LIVE_ALERT_BATCH_MS: '5000' });
    const { siteId } = await server.provision({ id: 'fridge-1' });
    await server.provision({ id: 'fridge-2', siteId });
    socket = await connectDashboard(server.httpUrl, server.adminToken);
    const batches: string[][] = [];
    const lastArrived = new Promise<void>((resolve) => {
      socket!.on('alerts', (changes) => {
        batches.push(changes.map(({ event, alert }) => `${event}:${alert.deviceId}`));
        if (changes.some((c) => c.event === 'alert:raised' && c.alert.deviceId === 'fridge-2')) resolve();
      });
    });
    const { lifecycle } = server.alerting;
    await lifecycle.applyCondition('fridge-1', siteId, warm());
    // Not held for the window: it arrives long before the 5 s are over.
    await expect.poll(() => batches.length, { timeout: 4_000 }).toBe(1);
    // A quarter of a second apart, inside the window: without it each would leave in a batch of its own.
    await lifecycle.applyCondition('fridge-1', siteId, { ...warm(), severity: 'critical', value: 14 });
    await sleep(250);
    await lifecycle.applyCondition('fridge-1', siteId, warm(false));
    await sleep(250);
    await lifecycle.applyCondition('fridge-2', siteId, warm());
    await lastArrived;
    expect(batches).toEqual([['alert:raised:fridge-1'], ['alert:updated:fridge-1', 'alert:resolved:fridge-1', 'alert:raised:fridge-2']]);
  });

  it('widens the window with the number of dashboards, so the pushes keep to their frame budget', { timeout: 20_000 }, async () => {
    await server.stop();
    // No window of its own; two dashboards at 0.4 frames a second: a batch to both holds the next for 5 s.
    server = await startTestServer({ SK_LIVE_ALERT_BATCH_MS: '0', SK_LIVE_ALERT_FRAMES_PER_S: '0.4' });
    const { siteId } = await server.provision({ id: 'fridge-1' });
    await server.provision({ id: 'fridge-2', siteId });
    socket = await connectDashboard(server.httpUrl, server.adminToken);
    const second = await connectDashboard(server.httpUrl, server.adminToken);
    try {
      const batches: string[][][] = [[], []];
      const lastArrived = [socket, second].map(
        (s, i) =>
          new Promise<void>((resolve) => {
            s.on('alerts', (changes) => {
              batches[i]!.push(changes.map(({ event, alert }) => `${event}:${alert.deviceId}`));
              if (changes.some((c) => c.event === 'alert:raised' && c.alert.deviceId === 'fridge-2')) resolve();
            });
          }),
      );
      const { lifecycle } = server.alerting;
      await lifecycle.applyCondition('fridge-1', siteId, warm());
      await expect.poll(() => batches.map((b) => b.length), { timeout: 4_000 }).toEqual([1, 1]);
      // A quarter of a second apart: without the budget each would leave in a batch of its own.
      await lifecycle.applyCondition('fridge-1', siteId, { ...warm(), severity: 'critical', value: 14 });
      await sleep(250);
      await lifecycle.applyCondition('fridge-1', siteId, warm(false));
      await sleep(250);
      await lifecycle.applyCondition('fridge-2', siteId, warm());
      await Promise.all(lastArrived);
      const expected = [['alert:raised:fridge-1'], ['alert:updated:fridge-1', 'alert:resolved:fridge-1', 'alert:raised:fridge-2']];
      expect(batches).toEqual([expected, expected]);
    } finally {
      second.close();
    }
  });
});
