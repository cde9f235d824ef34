import { describe, expect, it } from 'vitest';
import { READING_SCHEMAS, cameraFindingSchema, type DeviceKind, type DeviceProfile, type FieldValues } from '../../contracts/index.js';
import { Camera, createModel, Freezer, Fridge, GreaseTrap, HOT_HOLDING, type DeviceModel, type FaultName } from '../../simulators/models/index.js';

/** Midnight in Shanghai (16:00 UTC the day before). */
const T0 = Date.UTC(2025, 5, 2, 16);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Samples a model every `stepMs` for `durationMs`, injecting faults at the given offsets. */
function run(model: DeviceModel, durationMs: number, stepMs: number, faults: Array<{ at: number; fault: FaultName }> = []) {
  const out: Array<{ t: number; fields: FieldValues | undefined }> = [];
  for (let t = T0; t <= T0 + durationMs; t += stepMs) {
    for (const f of faults) if (T0 + f.at === t) model.inject(f.fault, t);
    out.push({ t, fields: model.sample(t) });
  }
  return out;
}

const temps = (rows: ReturnType<typeof run>) => rows.map((r) => r.fields?.temperatureC as number);

describe('determinism', () => {
  const kinds: Array<[DeviceKind, DeviceProfile]> = [
    ['temperature', 'chilled'],
    ['temperature', 'frozen'],
    ['oil_separator', 'oil_separator'],
    ['camera', 'camera'],
  ];
  it.each(kinds)('%s/%s: same seed, same readings; other seed, other readings', (kind, profile) => {
    const a = run(createModel(kind, profile, 42), 6 * HOUR, 30_000);
    const b = run(createModel(kind, profile, 42), 6 * HOUR, 30_000);
    const c = run(createModel(kind, profile, 43), 6 * HOUR, 30_000);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('refuses a profile that does not fit the kind', () => {
    expect(() => createModel('temperature', 'camera', 1)).toThrow(RangeError);
  });
});

describe('fridge (chilled)', () => {
  it('cycles between about 2 and 5 °C, many times over six hours', () => {
    for (const seed of [1, 2, 3]) {
      const t = temps(run(new Fridge(seed), 6 * HOUR, 30_000));
      // Door openings push it up briefly, but it stays within the 0–8 °C chilled band.
      expect(Math.min(...t)).toBeGreaterThan(0);
      expect(Math.max(...t)).toBeLessThan(8);
      let ups = 0;
      let downs = 0;
      for (let i = 1; i < t.length; i++) {
        if ((t[i - 1] as number) < 3.5 && (t[i] as number) >= 3.5) ups++;
        if ((t[i - 1] as number) >= 3.5 && (t[i] as number) < 3.5) downs++;
      }
      expect(ups).toBeGreaterThanOrEqual(5);
      expect(downs).toBeGreaterThanOrEqual(5);
    }
  });

  it('reports its door open during service hours', () => {
    const rows = run(new Fridge(5), DAY, 10_000);
    const opens = rows.filter((r) => r.fields?.doorOpen === true);
    expect(opens.length).toBeGreaterThan(0);
    const hour = (t: number) => (new Date(t).getUTCHours() + 8) % 24;
    expect(opens.every((r) => hour(r.t) >= 7 && hour(r.t) < 22)).toBe(true);
  });

  it('warms past 8 °C within a few hours of a compressor failure, and stops cycling', () => {
    const rows = run(new Fridge(9), 6 * HOUR, 30_000, [{ at: HOUR, fault: 'compressor_failure' }]);
    const after = temps(rows.filter((r) => r.t >= T0 + HOUR));
    const firstOver = after.findIndex((v) => v > 8);
    expect(firstOver).toBeGreaterThan(0);
    expect(firstOver * 30_000).toBeLessThan(3 * HOUR);
    expect(after[after.length - 1]).toBeGreaterThan(15);
  });

  it('recovers once the compressor is repaired', () => {
    const fridge = new Fridge(4);
    run(fridge, 3 * HOUR, 30_000, [{ at: 0, fault: 'compressor_failure' }]);
    fridge.clear('compressor_failure');
    const later = fridge.sample(T0 + 6 * HOUR)?.temperatureC as number;
    expect(later).toBeLessThan(8);
  });

  it('keeps a hot-holding cabinet above 60 °C', () => {
    const t = temps(run(new Fridge(2, HOT_HOLDING), 12 * HOUR, 30_000));
    expect(Math.min(...t)).toBeGreaterThan(58);
    expect(Math.max(...t)).toBeLessThan(75);
  });
});

describe('freezer', () => {
  it('peaks during defrost and recovers below −15 °C', () => {
    const t = temps(run(new Freezer(1), DAY, 30_000));
    const peaks: number[] = [];
    for (let i = 0; i < t.length; i++) {
      if ((t[i] as number) > -10 && (i === 0 || (t[i - 1] as number) <= -10)) peaks.push(i);
    }
    // Every 6–8 h: three or four defrosts a day.
    expect(peaks.length).toBeGreaterThanOrEqual(2);
    expect(peaks.length).toBeLessThanOrEqual(5);
    expect(Math.max(...t)).toBeLessThan(-2);
    for (const start of peaks) {
      const recovered = t.slice(start).findIndex((v) => v < -15);
      expect(recovered).toBeGreaterThan(0);
      expect(recovered * 30_000).toBeLessThan(HOUR);
    }
    // Most of the time it is well frozen.
    expect(t.filter((v) => v <= -18).length / t.length).toBeGreaterThan(0.6);
  });

  it('thaws when the defrost gets stuck', () => {
    const t = temps(run(new Freezer(3), 8 * HOUR, 60_000, [{ at: HOUR, fault: 'defrost_stuck' }]));
    expect(t[t.length - 1]).toBeGreaterThan(0);
  });
});

describe('grease trap', () => {
  it('fills over days and drops after a pump-out', () => {
    const rows = run(new GreaseTrap(8), 40 * DAY, 10 * 60_000).map((r) => r.fields as FieldValues);
    const fill = rows.map((r) => r.fillPct as number);
    const drops = fill.flatMap((v, i) => (i > 0 && v < (fill[i - 1] as number) - 10 ? [i] : []));
    expect(drops.length).toBeGreaterThanOrEqual(1);
    for (const i of drops) {
      expect(rows[i]?.lastPumpOutTs).not.toBe(rows[i - 1]?.lastPumpOutTs);
      // Pumped out near a quarter full, not long after.
      expect(fill[i - 1]).toBeGreaterThan(15);
      expect(fill[i - 1]).toBeLessThan(28);
    }
    // Between pump-outs it rises: a week after the first pump-out it is fuller than just after it.
    const first = drops[0] as number;
    expect(fill[first + 7 * 144]).toBeGreaterThan((fill[first] as number) + 5);
    // Effluent oil stays under the 100 mg/L limit while the trap is looked after.
    expect(Math.max(...rows.map((r) => r.effluentOilMgL as number))).toBeLessThan(100);
    expect(rows.some((r) => r.overflow === true)).toBe(false);
  });

  it('overfills and pollutes without pump-outs', () => {
    const rows = run(new GreaseTrap(8), 40 * DAY, HOUR, [{ at: 0, fault: 'no_pump_out' }]).map((r) => r.fields as FieldValues);
    const last = rows[rows.length - 1] as FieldValues;
    expect(last.fillPct).toBeGreaterThan(40);
    expect(last.effluentOilMgL).toBeGreaterThan(100);
    expect(new Set(rows.map((r) => r.lastPumpOutTs)).size).toBe(1);
  });

  it('trips the overflow switch with grease_overflow', () => {
    const rows = run(new GreaseTrap(2), 6 * HOUR, 60_000, [{ at: HOUR, fault: 'grease_overflow' }]);
    const before = rows[0]?.fields as FieldValues;
    const last = rows[rows.length - 1]?.fields as FieldValues;
    expect(before.overflow).toBe(false);
    expect(last.overflow).toBe(true);
    expect((last.fillPct as number) - (before.fillPct as number)).toBeGreaterThan(30);
  });
});

describe('camera', () => {
  it('is mostly online at ~25 fps and reports a few findings a day, more in service', () => {
    const camera = new Camera(6);
    const rows = run(camera, 7 * DAY, 60_000);
    const online = rows.filter((r) => r.fields?.online === true);
    expect(online.length / rows.length).toBeGreaterThan(0.95);
    const fps = online.map((r) => r.fields?.fps as number);
    expect(fps.reduce((a, b) => a + b, 0) / fps.length).toBeCloseTo(25, 0);
    const other = new Camera(6);
    const found: Array<{ t: number; type: string }> = [];
    for (let t = T0; t <= T0 + 14 * DAY; t += 10 * 60_000) for (const f of other.findings(t)) found.push({ t, ...f });
    expect(found.length).toBeGreaterThan(7);
    expect(found.length).toBeLessThan(14 * 20);
  });

  it('goes dark with camera_offline and its bitrate collapses with lens_occluded', () => {
    const camera = new Camera(1);
    const ok = camera.sample(T0) as FieldValues;
    camera.inject('lens_occluded', T0 + 60_000);
    const covered = camera.sample(T0 + 120_000) as FieldValues;
    expect(covered.lensOccluded).toBe(true);
    expect(covered.bitrateKbps).toBeLessThan((ok.bitrateKbps as number) / 4);
    camera.inject('camera_offline', T0 + 180_000);
    expect(camera.sample(T0 + 240_000)).toMatchObject({ online: false, streaming: false });
    expect(camera.findings(T0 + DAY)).toEqual([]);
  });

  it('runs out of storage and stops recording with storage_full', () => {
    const rows = run(new Camera(2), 4 * HOUR, 60_000, [{ at: 0, fault: 'storage_full' }]);
    expect(rows[rows.length - 1]?.fields).toMatchObject({ storageFreePct: 0, recording: false });
  });
});

describe('every fault', () => {
  it('power_loss silences a device until cleared', () => {
    const fridge = new Fridge(1);
    expect(fridge.sample(T0)).toBeDefined();
    fridge.inject('power_loss', T0 + 60_000);
    expect(fridge.sample(T0 + 120_000)).toBeUndefined();
    expect(fridge.sample(T0 + 3 * HOUR)).toBeUndefined();
    // Without power the compressor was off: it comes back warm.
    fridge.clear('power_loss');
    expect(fridge.sample(T0 + 3 * HOUR)?.temperatureC).toBeGreaterThan(8);
  });

  it('sensor_stuck repeats one value while the physics moves on', () => {
    const rows = run(new Fridge(3), 3 * HOUR, 30_000, [{ at: HOUR, fault: 'sensor_stuck' }]);
    const stuck = new Set(temps(rows.filter((r) => r.t >= T0 + HOUR)));
    expect(stuck.size).toBe(1);
  });

  it('ignores faults that do not apply', () => {
    const camera = new Camera(1);
    camera.inject('compressor_failure', T0);
    expect(camera.activeFaults.size).toBe(0);
  });
});

describe('payloads', () => {
  const kinds: Array<[DeviceKind, DeviceProfile]> = [
    ['temperature', 'chilled'],
    ['temperature', 'frozen'],
    ['temperature', 'hot_holding'],
    ['temperature', 'ambient'],
    ['oil_separator', 'oil_separator'],
    ['camera', 'camera'],
  ];
  it.each(kinds)('%s/%s readings validate against the contract, faults included', (kind, profile) => {
    const faults: FaultName[] = ['compressor_failure', 'door_left_open', 'grease_overflow', 'no_pump_out', 'lens_occluded', 'storage_full', 'camera_offline'];
    const model = createModel(kind, profile, 17);
    let seq = 0;
    const rows = run(model, 10 * DAY, 5 * 60_000, faults.map((fault, i) => ({ at: (3 + i) * DAY, fault })));
    for (const { t, fields } of rows) {
      const result = READING_SCHEMAS[kind].safeParse({ ts: t, seq: seq++, boot: 'b1', ...fields });
      expect(result.error?.issues ?? []).toEqual([]);
    }
  });

  it('camera findings validate against the contract', () => {
    const camera = new Camera(5);
    let seq = 0;
    for (let t = T0; t <= T0 + 7 * DAY; t += HOUR) {
      for (const f of camera.findings(t)) expect(cameraFindingSchema.safeParse({ ts: t, seq: seq++, boot: 'b1', ...f }).success).toBe(true);
    }
    expect(seq).toBeGreaterThan(0);
  });
});
