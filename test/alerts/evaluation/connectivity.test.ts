import { describe, expect, it } from 'vitest';
import { createDeviceRules } from '../../../alerts/evaluation/device-rules.js';
import { CN_CATERING, resolveSettings } from '../../../alerts/rules/index.js';
import { device, HOUR, MIN, only, rec, rulesFor, T0 } from './helpers.js';

const S = CN_CATERING.settings;

describe('no_data (server clock, via tick)', () => {
  it('raises after max(3 × expectedIntervalS, 5 min) of silence, dated from the last reading, and clears on the next one', () => {
    const rules = rulesFor('temperature', 'chilled', { intervalS: 120 });
    const limitMs = Math.max(S.no_data.intervalMultiple * 120, S.no_data.minSilenceS) * 1000;
    const r = rec('temperature', T0, { temperatureC: 4 }, 1000);
    rules.reading(r);
    expect(only(rules.tick(r.receivedAt + limitMs), 'no_data')).toEqual([]);
    const raised = only(rules.tick(r.receivedAt + limitMs + 1000), 'no_data');
    expect(raised.map((c) => [c.active, c.at, c.limit])).toEqual([[true, r.receivedAt, limitMs / 1000]]);
    // Further ticks say nothing new.
    expect(only(rules.tick(r.receivedAt + 2 * limitMs), 'no_data')).toEqual([]);
    // A late batch counts as data: the pipe works again.
    const late = rec('temperature', T0 + MIN, { temperatureC: 4 }, limitMs * 3);
    expect(only(rules.reading(late), 'no_data').map((c) => [c.active, c.at])).toEqual([[false, late.receivedAt]]);
  });

  it('uses the minimum silence for chatty devices', () => {
    const rules = rulesFor('temperature', 'chilled', { intervalS: 10 });
    rules.reading(rec('temperature', T0, { temperatureC: 4 }, 0));
    expect(only(rules.tick(T0 + 60_000), 'no_data')).toEqual([]);
    expect(only(rules.tick(T0 + S.no_data.minSilenceS * 1000 + 1), 'no_data')).toHaveLength(1);
  });

  it('a device that never reported is silent from the first tick', () => {
    const rules = rulesFor('temperature', 'chilled');
    expect(rules.tick(T0)).toEqual([]);
    const out = only(rules.tick(T0 + S.no_data.minSilenceS * 1000 + 1), 'no_data');
    expect(out.map((c) => [c.at, c.detail?.neverReported])).toEqual([[T0, true]]);
  });
});

describe('no_data across a restart', () => {
  const limitMs = Math.max(S.no_data.intervalMultiple * 60, S.no_data.minSilenceS) * 1000;
  const restarted = (from: ReturnType<typeof rulesFor>) => {
    const rules = rulesFor('temperature', 'chilled');
    rules.restore(JSON.parse(JSON.stringify(from.snapshot())));
    return rules;
  };

  it('a device that was reporting is silent from the first tick after the restart, however old its saved reading', () => {
    const before = rulesFor('temperature', 'chilled');
    before.reading(rec('temperature', T0, { temperatureC: 4 }, 1000));
    expect(before.tick(T0 + 60_000)).toEqual([]);
    expect(before.atRest()).toBe(true);
    const after = restarted(before);
    // The saved reading is hours old: counting from it would page at once.
    const restartAt = T0 + 3 * HOUR;
    expect(only(after.tick(restartAt), 'no_data')).toEqual([]);
    expect(only(after.tick(restartAt + limitMs), 'no_data')).toEqual([]);
    const raised = only(after.tick(restartAt + limitMs + 1000), 'no_data');
    expect(raised.map((c) => [c.active, c.at, c.detail?.neverReported])).toEqual([[true, restartAt, false]]);
  });

  it('a device already missing readings leaves rest and keeps its silence across the restart', () => {
    const before = rulesFor('temperature', 'chilled');
    const r = rec('temperature', T0, { temperatureC: 4 }, 1000);
    before.reading(r);
    // Two expected intervals and more without a reading: a silence is under way.
    expect(before.tick(r.receivedAt + 2 * 60_000 + 1000)).toEqual([]);
    expect(before.atRest()).toBe(false);
    const after = restarted(before);
    const raised = only(after.tick(r.receivedAt + limitMs + 1000), 'no_data');
    expect(raised.map((c) => [c.active, c.at])).toEqual([[true, r.receivedAt]]);
    // And a reading brings it back to rest.
    after.reading(rec('temperature', T0 + limitMs + 2000, { temperatureC: 4 }));
    expect(after.atRest()).toBe(true);
  });

  it('a silence that begins while another rule is under way (a low battery) keeps its time: that state was saved at every reading', () => {
    const before = rulesFor('temperature', 'chilled');
    const r = rec('temperature', T0, { temperatureC: 4, batteryPct: 8 }, 1000);
    expect(only(before.reading(r), 'battery_low')).toHaveLength(1);
    expect(before.atRest()).toBe(false);
    // Saved at the flush after that reading; then the battery dies and the process is killed before the next save.
    const after = restarted(before);
    const raised = only(after.tick(r.receivedAt + limitMs + 1000), 'no_data');
    expect(raised.map((c) => [c.active, c.at])).toEqual([[true, r.receivedAt]]);
  });

  it('a reconfigured device keeps its clock: its state comes from this process, not from a lazy save', () => {
    const before = rulesFor('temperature', 'chilled');
    const r = rec('temperature', T0, { temperatureC: 4 }, 1000);
    before.reading(r);
    expect(before.atRest()).toBe(true);
    const after = rulesFor('temperature', 'chilled');
    after.restore(before.snapshot(), 'live');
    const raised = only(after.tick(r.receivedAt + limitMs + 1000), 'no_data');
    expect(raised.map((c) => [c.active, c.at])).toEqual([[true, r.receivedAt]]);
  });
});

describe('device_offline across a restart', () => {
  const graceMs = S.device_offline.graceS * 1000;

  it('takes an offline spell from the registry, not from a snapshot that may have been saved before the device came back', () => {
    const before = rulesFor('temperature', 'chilled');
    before.presence(false, T0);
    expect(before.atRest()).toBe(true);
    const stale = JSON.parse(JSON.stringify(before.snapshot()));
    // The device came back at T0 + 1 min (the registry, saved durably, says online); the process died before a lazy save.
    const after = rulesFor('temperature', 'chilled');
    after.restore(stale);
    expect(only(after.tick(T0 + graceMs + MIN), 'device_offline')).toEqual([]);
  });

  it('keeps an alarm from the snapshot, so the reconnect clears it', () => {
    const before = rulesFor('temperature', 'chilled');
    before.presence(false, T0);
    expect(only(before.tick(T0 + graceMs + 1000), 'device_offline')).toHaveLength(1);
    const after = rulesFor('temperature', 'chilled');
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    const cleared = only(after.presence(true, T0 + 2 * graceMs), 'device_offline');
    expect(cleared.map((c) => c.active)).toEqual([false]);
  });
});

describe('device_offline (presence and grace)', () => {
  it('raises when the device stays away past the grace and clears on reconnect', () => {
    const rules = rulesFor('oil_separator', 'oil_separator');
    expect(rules.presence(false, T0)).toEqual([]);
    expect(only(rules.tick(T0 + S.device_offline.graceS * 1000 - 1), 'device_offline')).toEqual([]);
    const raised = only(rules.tick(T0 + S.device_offline.graceS * 1000), 'device_offline');
    expect(raised.map((c) => [c.active, c.at])).toEqual([[true, T0]]);
    expect(rules.presence(true, T0 + 10 * MIN).map((c) => [c.rule, c.active])).toEqual([['device_offline', false]]);
  });

  it('a quick reconnect within the grace raises nothing; a stale presence event is ignored', () => {
    const rules = rulesFor('camera', 'camera');
    rules.presence(false, T0);
    rules.presence(true, T0 + 20_000);
    // An older "offline" delivered late must not mark the device offline again.
    rules.presence(false, T0 + 10_000);
    expect(only(rules.tick(T0 + 60 * MIN), 'device_offline')).toEqual([]);
  });

  it('starts from the registry: a device already offline at start-up is caught', () => {
    const d = { ...device('temperature', 'frozen'), online: false, presenceChangedAt: T0 };
    const rules = createDeviceRules({ device: d, site: { id: 's', timezone: 'UTC' } }, resolveSettings(CN_CATERING));
    expect(only(rules.tick(T0 + S.device_offline.graceS * 1000), 'device_offline').map((c) => c.at)).toEqual([T0]);
  });
});

describe('battery_low and door_open', () => {
  it('battery: raises below the limit, holds within the deadband, clears above it', () => {
    const rules = rulesFor('temperature', 'chilled');
    const b = (m: number, pct: number) => only(rules.reading(rec('temperature', T0 + m * MIN, { batteryPct: pct })), 'battery_low');
    const limit = S.battery_low.belowPct.value;
    expect(b(0, limit)).toEqual([]);
    expect(b(1, limit - 1).map((c) => [c.active, c.value, c.limit])).toEqual([[true, limit - 1, limit]]);
    expect(b(2, limit + 1)).toEqual([]);
    expect(b(3, limit - 1)).toEqual([]);
    expect(b(4, limit + S.battery_low.deadbandPct).map((c) => c.active)).toEqual([false]);
  });

  it('door: open longer than the maximum raises, dated when it opened; a short opening does not', () => {
    const max = S.door_open.maxOpenMin.value;
    const rules = rulesFor('temperature', 'chilled');
    const d = (m: number, open: boolean) => only(rules.reading(rec('temperature', T0 + m * MIN, { doorOpen: open })), 'door_open');
    expect([...d(0, true), ...d(max - 1, true), ...d(max - 0.5, false)]).toEqual([]);
    expect(d(10, true)).toEqual([]);
    expect(d(10 + max, true).map((c) => [c.active, c.at])).toEqual([[true, T0 + 10 * MIN]]);
    expect(d(10 + max + 1, true)).toEqual([]);
    expect(d(10 + max + 2, false).map((c) => c.active)).toEqual([false]);
  });

  it('door: a sensor that reports only on change is caught by the tick', () => {
    const rules = rulesFor('temperature', 'chilled');
    rules.reading(rec('temperature', T0, { doorOpen: true }));
    expect(only(rules.tick(T0 + 2 * MIN), 'door_open')).toEqual([]);
    expect(only(rules.tick(T0 + S.door_open.maxOpenMin.value * MIN), 'door_open').map((c) => c.at)).toEqual([T0]);
  });
});
