import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertTransitionError, type Alert, type Condition } from '../../contracts/index.js';
import { AlertLifecycle, type NotificationKind } from '../../alerts/lifecycle.js';
import { DEFAULT_ALERT_POLICY, type AlertPolicy } from '../../alerts/policy.js';
import { createLogger } from '../../observability/logger.js';
import { createMetrics } from '../../observability/metrics.js';
import type { Store } from '../../store/index.js';
import { openSqliteStore } from '../../store/sqlite/index.js';

const T0 = Date.UTC(2026, 10, 2, 2, 0, 0);
const MIN = 60_000;

const warm = (at: number, value = 9.5, severity: Condition['severity'] = 'warning'): Condition => ({
  rule: 'temperature_high',
  active: true,
  severity,
  at,
  value,
  limit: 8,
  message: `temperature ${value} °C above 8 °C`,
  detail: { limitC: 8 },
});
const cleared = (at: number): Condition => ({ ...warm(at), active: false, value: 5 });

describe('alert lifecycle', () => {
  let store: Store;
  let now: number;
  let lifecycle: AlertLifecycle;
  let live: [string, Alert][];
  let notified: [NotificationKind, Alert][];

  const open = async (policy: Partial<AlertPolicy> = {}) => {
    const l = new AlertLifecycle({
      alerts: store.alerts,
      policy: { ...DEFAULT_ALERT_POLICY, ...policy },
      metrics: createMetrics(),
      logger: createLogger('silent'),
      clock: () => now,
    });
    for (const event of ['alert:raised', 'alert:updated', 'alert:resolved'] as const) l.on(event, (a) => live.push([event, a]));
    l.on('alert:notify', (kind, a) => notified.push([kind, a]));
    await l.start();
    return l;
  };

  beforeEach(async () => {
    store = openSqliteStore({ file: ':memory:' });
    now = T0;
    live = [];
    notified = [];
    lifecycle = await open();
  });
  afterEach(async () => {
    await lifecycle.drain();
    await store.close();
  });

  const history = async (id: number) => (await store.alerts.events(id)).map((e) => `${e.type}:${e.actor}${e.text ? `:${e.text}` : ''}`);

  it('tells nobody about a change before it is on disk, and does not hold the next change while the disk syncs', async () => {
    // The store's sync, held until the test lets it go.
    const held: (() => void)[] = [];
    let created = 0;
    const createdAtSync: number[] = [];
    const alerts = Object.create(store.alerts, {
      create: { value: (...[alert, event]: Parameters<Store['alerts']['create']>) => (created++, store.alerts.create(alert, event)) },
      synced: { value: () => (createdAtSync.push(created), new Promise<void>((resolve) => held.push(resolve))) },
    }) as Store['alerts'];
    const l = new AlertLifecycle({ alerts, policy: DEFAULT_ALERT_POLICY, metrics: createMetrics(), logger: createLogger('silent'), clock: () => now });
    const told: string[] = [];
    l.on('alert:raised', (a) => told.push(`raised:${a.deviceId}`));
    l.on('alert:notify', (kind, a) => told.push(`notify ${kind}:${a.deviceId}`));
    await l.start();

    let firstDone = false;
    const first = l.applyCondition('fridge-1', 'site-1', warm(T0)).then(() => (firstDone = true));
    const second = l.applyCondition('fridge-2', 'site-1', warm(T0));
    for (let i = 0; i < 10 && held.length < 2; i++) await new Promise((r) => setImmediate(r));
    // Both are committed (the second did not wait for the first's sync), neither is announced nor answered.
    expect(held).toHaveLength(2);
    // The first asked for its sync only once the second, queued meanwhile, had committed: one sync can cover both.
    expect(createdAtSync).toEqual([2, 2]);
    expect((await store.alerts.listActive()).map((a) => a.deviceId).sort()).toEqual(['fridge-1', 'fridge-2']);
    expect(told).toEqual([]);
    expect(firstDone).toBe(false);

    held.shift()!();
    await first;
    expect(told).toEqual(['raised:fridge-1', 'notify raised:fridge-1']);
    held.shift()!();
    await second;
    expect(told).toEqual(['raised:fridge-1', 'notify raised:fridge-1', 'raised:fridge-2', 'notify raised:fridge-2']);
    await l.drain();
  });

  it('still announces what a change wrote before it failed: a sweep whose second escalation fails', async () => {
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    await lifecycle.applyCondition('fridge-2', 'site-1', warm(T0));
    const second = live.find(([, a]) => a.deviceId === 'fridge-2')![1];
    const failing = Object.create(store.alerts, {
      update: {
        value: (...[id, patch, events]: Parameters<Store['alerts']['update']>) =>
          id === second.id ? Promise.reject(new Error('disk full')) : store.alerts.update(id, patch, events),
      },
    }) as Store['alerts'];
    const l = new AlertLifecycle({ alerts: failing, policy: DEFAULT_ALERT_POLICY, metrics: createMetrics(), logger: createLogger('silent'), clock: () => now });
    const escalated: string[] = [];
    l.on('alert:updated', (a) => escalated.push(`${a.deviceId}:${a.escalation}`));
    await l.start();

    now += DEFAULT_ALERT_POLICY.escalateToDistrictAfterMs;
    await expect(l.sweep()).rejects.toThrow('disk full');
    expect(escalated).toEqual(['fridge-1:district']);
    expect((await store.alerts.get(second.id))!.escalation).toBe('township');
    await l.drain();
  });

  it('raises one alert per device and rule, updates it on a repeat, and resolves it when the condition clears', async () => {
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0 - 30 * MIN));
    const [[event, alert]] = live as [[string, Alert]];
    expect(event).toBe('alert:raised');
    expect(alert).toMatchObject({ deviceId: 'fridge-1', siteId: 'site-1', state: 'open', raisedAt: T0 - 30 * MIN, createdAt: T0, occurrences: 1, escalation: 'township' });
    expect(notified.map(([k]) => k)).toEqual(['raised']);

    now += MIN;
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0, 12, 'critical'));
    await lifecycle.applyCondition('fridge-2', 'site-1', warm(T0));
    const active = await store.alerts.list({ scope: { kind: 'all' }, state: 'active', limit: 10 });
    expect(active.map((a) => a.deviceId).sort()).toEqual(['fridge-1', 'fridge-2']);
    const updated = (await store.alerts.get(alert.id))!;
    expect(updated).toMatchObject({ severity: 'critical', value: 12, occurrences: 2, state: 'open' });
    // A severity upgrade is news: people are told again.
    expect(notified.map(([k, a]) => `${k}:${a.deviceId}`)).toEqual(['raised:fridge-1', 'upgraded:fridge-1', 'raised:fridge-2']);

    now += MIN;
    // The reading that cleared it was taken 20 s before it arrived: the alert keeps both times.
    await lifecycle.applyCondition('fridge-1', 'site-1', cleared(now - 20_000));
    const resolved = (await store.alerts.get(alert.id))!;
    expect(resolved).toMatchObject({ state: 'resolved', resolution: 'cleared', clearedAt: now - 20_000, resolvedAt: now, resolvedBy: 'system' });
    expect(live.at(-1)).toEqual(['alert:resolved', resolved]);
    expect(notified.at(-1)?.[0]).toBe('resolved');
    expect(await history(alert.id)).toEqual(['raised:system:temperature 9.5 °C above 8 °C', 'updated:system:temperature 12 °C above 8 °C', 'resolved:system']);

    // A clear with no active alert changes nothing; a new excursion is a new alert.
    await lifecycle.applyCondition('fridge-1', 'site-1', cleared(now));
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(now));
    expect(lifecycle.activeAlert('fridge-1', 'temperature_high')?.id).not.toBe(alert.id);
  });

  it('does not notify outside the dashboard about info alerts', async () => {
    await lifecycle.applyCondition('cam-1', 'site-1', { ...warm(T0), rule: 'camera_storage_low', severity: 'info' });
    expect(live).toHaveLength(1);
    expect(notified).toEqual([]);
    now += 10 * 3_600_000;
    await lifecycle.sweep();
    expect(notified).toEqual([]);
  });

  it('escalates an unacknowledged alert to the district, then the city, and reminds while it stays unresolved', async () => {
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    const id = lifecycle.activeAlert('fridge-1', 'temperature_high')!.id;
    const level = async () => (await store.alerts.get(id))!.escalation;

    now = T0 + 30 * MIN - 1;
    await lifecycle.sweep();
    expect(await level()).toBe('township');
    now = T0 + 30 * MIN;
    await lifecycle.sweep();
    expect(await level()).toBe('district');
    await lifecycle.sweep();
    now = T0 + 120 * MIN;
    await lifecycle.sweep();
    expect(await level()).toBe('city');
    expect(notified.map(([k, a]) => `${k}:${a.escalation}`)).toEqual(['raised:township', 'escalated:district', 'escalated:city']);

    // Acknowledged: no further escalation, but reminders every hour until resolved.
    await lifecycle.acknowledge(id, 'inspector-7');
    now = T0 + 179 * MIN;
    await lifecycle.sweep();
    expect(notified).toHaveLength(3);
    now = T0 + 180 * MIN;
    await lifecycle.sweep();
    expect(notified.at(-1)?.[0]).toBe('reminder');
    expect(await history(id)).toEqual(['raised:system:temperature 9.5 °C above 8 °C', 'escalated:system:district', 'escalated:system:city', 'acknowledged:inspector-7', 'reminded:system']);
  });

  it('an acknowledged alert does not escalate', async () => {
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    const id = lifecycle.activeAlert('fridge-1', 'temperature_high')!.id;
    now = T0 + 5 * MIN;
    await lifecycle.acknowledge(id, 'owner-1');
    now = T0 + 300 * MIN;
    await lifecycle.sweep();
    expect((await store.alerts.get(id))!.escalation).toBe('township');
  });

  it('caps the notifications of one alert', async () => {
    lifecycle = await open({ maxNotificationsPerAlert: 3, reminderEveryMs: 10 * MIN });
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    for (let m = 10; m <= 300; m += 10) {
      now = T0 + m * MIN;
      await lifecycle.sweep();
    }
    const alert = lifecycle.activeAlert('fridge-1', 'temperature_high')!;
    expect(notified.filter(([, a]) => a.id === alert.id)).toHaveLength(3);
    expect(alert.notifications).toBe(3);
    // Escalation still happens and is recorded even when nobody more is told.
    expect(alert.escalation).toBe('city');
  });

  it('holds a flapping alert open, without notifications, until its condition stays clear', async () => {
    lifecycle = await open({ flapRaises: 3, flapWindowMs: 60 * MIN, flapQuietMs: 20 * MIN });
    const cycle = async () => {
      await lifecycle.applyCondition('fridge-1', 'site-1', warm(now));
      now += 2 * MIN;
      await lifecycle.applyCondition('fridge-1', 'site-1', cleared(now));
      now += 2 * MIN;
    };
    await cycle();
    await cycle();
    expect(notified.map(([k]) => k)).toEqual(['raised', 'resolved', 'raised', 'resolved']);
    // The third raise within the hour: flapping.
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(now));
    const flapping = lifecycle.activeAlert('fridge-1', 'temperature_high')!;
    expect(flapping.flapping).toBe(true);
    expect(notified).toHaveLength(4);
    now += MIN;
    await lifecycle.applyCondition('fridge-1', 'site-1', cleared(now));
    expect(lifecycle.activeAlert('fridge-1', 'temperature_high')).toMatchObject({ id: flapping.id, state: 'open', clearedAt: now });
    // Back again before the quiet period: the same alert, not a new one.
    now += 5 * MIN;
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(now));
    now += MIN;
    await lifecycle.applyCondition('fridge-1', 'site-1', cleared(now));
    now += 19 * MIN;
    await lifecycle.sweep();
    expect(lifecycle.activeAlert('fridge-1', 'temperature_high')?.id).toBe(flapping.id);
    now += MIN;
    await lifecycle.sweep();
    expect(lifecycle.activeAlert('fridge-1', 'temperature_high')).toBeUndefined();
    expect((await store.alerts.get(flapping.id))!).toMatchObject({ state: 'resolved', resolution: 'cleared', occurrences: 2 });
    expect(notified).toHaveLength(4);
  });

  it('records who acknowledged, commented, assigned and resolved, and refuses changes that do not fit the state', async () => {
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    const { id } = lifecycle.activeAlert('fridge-1', 'temperature_high')!;
    now += MIN;
    await lifecycle.acknowledge(id, 'owner-1');
    await expect(lifecycle.acknowledge(id, 'owner-2')).rejects.toBeInstanceOf(AlertTransitionError);
    await lifecycle.assign(id, 'inspector-7', 'technician-3');
    await lifecycle.comment(id, 'technician-3', 'door seal torn');
    now += MIN;
    const resolved = await lifecycle.resolve(id, 'technician-3', 'replaced the door seal; moved stock to the spare fridge');
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolution: 'corrected',
      resolvedBy: 'technician-3',
      resolvedAt: now,
      acknowledgedBy: 'owner-1',
      assignee: 'technician-3',
      correctiveAction: 'replaced the door seal; moved stock to the spare fridge',
    });
    await expect(lifecycle.resolve(id, 'owner-1', 'again')).rejects.toThrow(/already corrected/);
    await expect(lifecycle.assign(id, 'owner-1', 'someone')).rejects.toBeInstanceOf(AlertTransitionError);
    // Comments stay possible after resolution (follow-up).
    await lifecycle.comment(id, 'inspector-7', 'checked on site');
    expect(await history(id)).toEqual([
      'raised:system:temperature 9.5 °C above 8 °C',
      'acknowledged:owner-1',
      'assigned:inspector-7:technician-3',
      'commented:technician-3:door seal torn',
      'resolved:technician-3:replaced the door seal; moved stock to the spare fridge',
      'commented:inspector-7:checked on site',
    ]);
    // A rule that clears later finds nothing active to resolve.
    await lifecycle.applyCondition('fridge-1', 'site-1', cleared(now));
    expect((await store.alerts.get(id))!.resolution).toBe('corrected');
  });

  it('records a corrective action on an alert that already cleared by itself, which makes it rectified', async () => {
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    const { id } = lifecycle.activeAlert('fridge-1', 'temperature_high')!;
    now += 10 * MIN;
    await lifecycle.applyCondition('fridge-1', 'site-1', cleared(now));
    const clearedAt = now;
    now += 60 * MIN;
    const alert = await lifecycle.resolve(id, 'owner-1', 'adjusted the thermostat');
    expect(alert).toMatchObject({ state: 'resolved', resolution: 'corrected', resolvedAt: clearedAt, resolvedBy: 'system', correctiveAction: 'adjusted the thermostat' });
    const stats = await store.alerts.analytics({ scope: { kind: 'all' }, from: T0, to: now });
    expect(stats).toMatchObject({ raised: 1, rectified: 1, rectificationRate: 1 });
  });

  it('raises AI findings for a person to confirm or dismiss, one per device and finding type', async () => {
    const finding = (seq: number, type: 'rodent' | 'no_mask' = 'rodent') => ({ deviceId: 'cam-1', ts: T0 + seq, seq, boot: 'b', type, confidence: 0.8, receivedAt: T0 + seq });
    await lifecycle.raiseFinding(finding(1), 'site-1');
    await lifecycle.raiseFinding(finding(2), 'site-1');
    await lifecycle.raiseFinding(finding(3, 'no_mask'), 'site-1');
    const rodent = lifecycle.activeAlert('cam-1', 'finding.rodent')!;
    const mask = lifecycle.activeAlert('cam-1', 'finding.no_mask')!;
    expect(rodent).toMatchObject({ category: 'finding', verdict: 'pending', occurrences: 2, severity: 'critical', state: 'open' });
    expect(mask.severity).toBe('warning');

    await lifecycle.dismiss(rodent.id, 'inspector-7', 'a cat, not a rat');
    expect((await store.alerts.get(rodent.id))!).toMatchObject({ state: 'resolved', resolution: 'dismissed', verdict: 'dismissed', resolvedBy: 'inspector-7' });
    const confirmed = await lifecycle.confirm(mask.id, 'inspector-7');
    expect(confirmed).toMatchObject({ verdict: 'confirmed', state: 'acknowledged', acknowledgedBy: 'inspector-7' });
    await expect(lifecycle.dismiss(mask.id, 'inspector-7', 'no')).rejects.toThrow(/confirmed finding/);
    await expect(lifecycle.confirm(mask.id, 'inspector-7')).rejects.toBeInstanceOf(AlertTransitionError);
    const fixed = await lifecycle.resolve(mask.id, 'owner-1', 'staff briefed; masks restocked');
    expect(fixed).toMatchObject({ resolution: 'corrected', verdict: 'confirmed' });

    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    const condition = lifecycle.activeAlert('fridge-1', 'temperature_high')!;
    await expect(lifecycle.confirm(condition.id, 'inspector-7')).rejects.toMatchObject({ code: 'not_a_finding' });
  });

  it('counts resolving or dismissing an unacknowledged alert as its first response, so time to acknowledge includes it', async () => {
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    await lifecycle.applyCondition('fridge-2', 'site-1', warm(T0));
    await lifecycle.raiseFinding({ deviceId: 'cam-1', ts: T0, seq: 1, boot: 'b', type: 'rodent', confidence: 0.8, receivedAt: T0 }, 'site-1');
    const straight = lifecycle.activeAlert('fridge-1', 'temperature_high')!;
    const acked = lifecycle.activeAlert('fridge-2', 'temperature_high')!;
    const finding = lifecycle.activeAlert('cam-1', 'finding.rodent')!;

    now = T0 + 4 * MIN;
    await lifecycle.acknowledge(acked.id, 'inspector-7');
    now = T0 + 10 * MIN;
    // Resolved straight from open: the resolution is the first human response.
    expect(await lifecycle.resolve(straight.id, 'owner-1', 'moved the food')).toMatchObject({ acknowledgedAt: T0 + 10 * MIN, acknowledgedBy: 'owner-1' });
    // Already acknowledged: resolving does not move the acknowledgement.
    expect(await lifecycle.resolve(acked.id, 'owner-1', 'door seal replaced')).toMatchObject({ acknowledgedAt: T0 + 4 * MIN, acknowledgedBy: 'inspector-7' });
    now = T0 + 20 * MIN;
    expect(await lifecycle.dismiss(finding.id, 'inspector-7', 'a cat')).toMatchObject({ acknowledgedAt: T0 + 20 * MIN, acknowledgedBy: 'inspector-7' });

    const stats = await store.alerts.analytics({ scope: { kind: 'all' }, from: T0, to: now + 1 });
    expect(stats.timeToAcknowledge).toMatchObject({ count: 3, medianMs: 10 * MIN });
  });

  it('picks up the active alerts after a restart', async () => {
    await lifecycle.applyCondition('fridge-1', 'site-1', warm(T0));
    const { id } = lifecycle.activeAlert('fridge-1', 'temperature_high')!;
    await lifecycle.drain();
    const restarted = await open();
    expect(restarted.activeAlert('fridge-1', 'temperature_high')?.id).toBe(id);
    now += MIN;
    await restarted.applyCondition('fridge-1', 'site-1', warm(now));
    await restarted.applyCondition('fridge-1', 'site-1', cleared(now));
    expect((await store.alerts.get(id))!).toMatchObject({ state: 'resolved', occurrences: 2 });
    expect(await store.alerts.list({ scope: { kind: 'all' }, limit: 10 })).toHaveLength(1);
  });
});
