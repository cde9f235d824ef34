import { describe, expect, it } from 'vitest';
import type { Condition, FieldValues } from '../../../contracts/index.js';
import { isOpen, localTime } from '../../../alerts/evaluation/business-hours.js';
import { CN_CATERING, resolveSettings } from '../../../alerts/rules/index.js';
import { MIN, only, rec, rulesFor } from './helpers.js';

const S = CN_CATERING.settings;
const GRACE = S.camera_offline.graceMin;
/** Shanghai is UTC+8 all year: local 10:00 on Monday 2 June 2025 is 02:00 UTC. */
const shanghai = (day: number, hour: number, minute = 0) => Date.UTC(2025, 5, day, hour - 8, minute);
const UP: FieldValues = { online: true, streaming: true, storageFreePct: 50, lensOccluded: false, lensMoved: false };
const DOWN: FieldValues = { online: false, streaming: false, storageFreePct: 50, lensOccluded: false, lensMoved: false };

/** Camera conditions only: the readings and ticks here also, rightly, make no_data come and go. */
const cam = (cs: Condition[]) => cs.filter((c) => c.rule.startsWith('camera_'));

function camera() {
  const rules = rulesFor('camera', 'camera', { timezone: 'Asia/Shanghai' });
  const feed = (ts: number, values: FieldValues) => rules.reading(rec('camera', ts, values));
  return { rules, feed };
}

describe('business hours in the site timezone', () => {
  it('converts UTC to Shanghai local time', () => {
    expect(localTime(Date.UTC(2025, 5, 2, 1, 30), 'Asia/Shanghai')).toEqual({ weekday: 'mon', minutes: 9 * 60 + 30 });
    // 23:30 UTC on Sunday is already 07:30 on Monday in Shanghai.
    expect(localTime(Date.UTC(2025, 5, 1, 23, 30), 'Asia/Shanghai')).toEqual({ weekday: 'mon', minutes: 7 * 60 + 30 });
  });

  it('is open 07:00–22:00 local by default, whatever the UTC hour', () => {
    const h = S.businessHours;
    expect(isOpen(h, 'Asia/Shanghai', shanghai(2, 6, 59))).toBe(false);
    expect(isOpen(h, 'Asia/Shanghai', shanghai(2, 7, 0))).toBe(true);
    expect(isOpen(h, 'Asia/Shanghai', shanghai(2, 21, 59))).toBe(true);
    expect(isOpen(h, 'Asia/Shanghai', shanghai(2, 22, 0))).toBe(false);
    // The same instant, 10:00 in Shanghai, is 22:00 the evening before in New York: closed there.
    expect(isOpen(h, 'America/New_York', shanghai(2, 10))).toBe(false);
  });

  it('supports per-weekday hours, closed days and kitchens open past midnight', () => {
    const h = resolveSettings(CN_CATERING, { businessHours: { weekdays: { sun: null, fri: { open: '17:00', close: '02:00' } } } }).businessHours;
    // 1 June 2025 is a Sunday: closed all day.
    expect(isOpen(h, 'Asia/Shanghai', shanghai(1, 12))).toBe(false);
    // Friday 6 June: open from 17:00 until 02:00 on Saturday, and Saturday's own hours from 07:00.
    expect(isOpen(h, 'Asia/Shanghai', shanghai(6, 12))).toBe(false);
    expect(isOpen(h, 'Asia/Shanghai', shanghai(6, 23, 30))).toBe(true);
    expect(isOpen(h, 'Asia/Shanghai', shanghai(7, 1, 59))).toBe(true);
    expect(isOpen(h, 'Asia/Shanghai', shanghai(7, 2, 0))).toBe(false);
    expect(isOpen(h, 'Asia/Shanghai', shanghai(7, 8, 0))).toBe(true);
  });
});

describe('camera_offline and camera_not_streaming', () => {
  it('in business hours: offline past the grace raises, dated when it went offline; back online clears', () => {
    const { feed, rules } = camera();
    const t = shanghai(2, 10);
    expect(feed(t, DOWN)).toEqual([]);
    expect(only(rules.tick(t + (GRACE - 1) * MIN), 'camera_offline')).toEqual([]);
    expect(only(rules.tick(t + GRACE * MIN), 'camera_offline').map((c) => [c.active, c.at])).toEqual([[true, t]]);
    // Offline is not also "not streaming".
    expect(only(rules.tick(t + 60 * MIN), 'camera_not_streaming')).toEqual([]);
    expect(only(feed(t + 61 * MIN, UP), 'camera_offline').map((c) => c.active)).toEqual([false]);
  });

  it('outside business hours nothing raises; the grace starts again at opening', () => {
    const { feed, rules } = camera();
    const night = shanghai(2, 23);
    feed(night, DOWN);
    const out = [];
    for (let t = night; t < shanghai(3, 7); t += MIN) out.push(...cam(rules.tick(t)));
    expect(out).toEqual([]);
    // Opening at 07:00: the camera is still down; it raises GRACE minutes later, dated from the opening.
    for (let t = shanghai(3, 7); t < shanghai(3, 7, GRACE); t += MIN) out.push(...cam(rules.tick(t)));
    expect(out).toEqual([]);
    expect(only(rules.tick(shanghai(3, 7, GRACE)), 'camera_offline').map((c) => c.at)).toEqual([shanghai(3, 7)]);
  });

  it('an outage raised before closing stays active through the night until the camera is back', () => {
    const { feed, rules } = camera();
    feed(shanghai(2, 21, 30), DOWN);
    expect(only(rules.tick(shanghai(2, 21, 30 + GRACE)), 'camera_offline')).toHaveLength(1);
    const night = [];
    for (let t = shanghai(2, 22); t < shanghai(3, 9); t += 10 * MIN) night.push(...cam([...rules.tick(t), ...feed(t, DOWN)]));
    expect(night).toEqual([]);
    expect(only(feed(shanghai(3, 9, 5), UP), 'camera_offline').map((c) => [c.active, c.at])).toEqual([[false, shanghai(3, 9, 5)]]);
  });

  it('not streaming: online but not publishing past the grace; offline readings decide nothing', () => {
    const { feed, rules } = camera();
    const t = shanghai(2, 12);
    feed(t, { ...UP, streaming: false });
    feed(t + 5 * MIN, DOWN);
    const c = only(rules.tick(t + S.camera_not_streaming.graceMin * MIN), 'camera_not_streaming');
    expect(c.map((x) => [x.active, x.at])).toEqual([[true, t]]);
    expect(only(feed(t + 30 * MIN, UP), 'camera_not_streaming').map((x) => x.active)).toEqual([false]);
  });
});

describe('lens and storage', () => {
  it('lens occluded: a hand over the lens passes, a cover raises after the delay, at any hour', () => {
    const { feed } = camera();
    const night = shanghai(3, 2);
    const delay = S.camera_lens_occluded.delayMin;
    const seq = (from: number, n: number, occluded: boolean) =>
      Array.from({ length: n }, (_, i) => only(feed(from + i * MIN, { ...UP, lensOccluded: occluded }), 'camera_lens_occluded')).flat();
    expect([...seq(night, delay, true), ...seq(night + delay * MIN, 1, false)]).toEqual([]);
    const covered = seq(night + 10 * MIN, delay + 1, true);
    expect(covered.map((c) => [c.active, c.at])).toEqual([[true, night + 10 * MIN]]);
  });

  it('lens moved raises after its delay', () => {
    const { feed } = camera();
    const t = shanghai(2, 12);
    feed(t, { ...UP, lensMoved: true });
    expect(only(feed(t + S.camera_lens_moved.delayMin * MIN, { ...UP, lensMoved: true }), 'camera_lens_moved').map((c) => c.at)).toEqual([t]);
  });

  it('storage low below the limit, cleared only past the deadband', () => {
    const { feed } = camera();
    const t = shanghai(2, 12);
    const limit = S.camera_storage_low.belowPct.value;
    const st = (m: number, pct: number) => only(feed(t + m * MIN, { ...UP, storageFreePct: pct }), 'camera_storage_low');
    expect(st(0, limit + 1)).toEqual([]);
    expect(st(1, limit - 1).map((c) => c.active)).toEqual([true]);
    expect(st(2, limit + S.camera_storage_low.deadbandPct - 0.5)).toEqual([]);
    expect(st(3, limit + S.camera_storage_low.deadbandPct).map((c) => c.active)).toEqual([false]);
  });
});
