import { describe, expect, it } from 'vitest';
import {
  BATCH_SCHEMAS,
  CAMERA_FINDING_TYPES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  DEVICE_KINDS,
  EARLIEST_DEVICE_TS,
  FIELDS_BY_KIND,
  LATEST_DEVICE_TS,
  MAX_BATCH_READINGS,
  READING_SCHEMAS,
  cameraFindingSchema,
  checkDeviceClock,
  statusSchema,
  type DeviceKind,
  type FieldSpec,
} from '../../contracts/index.js';

const TS = Date.UTC(2024, 5, 1, 12, 0, 0);
const header = { ts: TS, seq: 1, boot: 'b-1' };

/** An in-range value for a field: what a healthy device sends. */
function typical(spec: FieldSpec): number | boolean {
  if (spec.type === 'boolean') return false;
  const mid = ((spec.min ?? 0) + (spec.max ?? 0)) / 2;
  return spec.integer ? Math.round(mid) : mid + 0.5;
}

const entries = (kind: DeviceKind) => Object.entries(FIELDS_BY_KIND[kind]);
const minimal = (kind: DeviceKind) => ({ ...header, ...Object.fromEntries(entries(kind).filter(([, s]) => s.required).map(([n, s]) => [n, typical(s)])) });
const full = (kind: DeviceKind) => ({ ...header, ...Object.fromEntries(entries(kind).map(([n, s]) => [n, typical(s)])) });

/** A value just outside a bound: the next representable step for integers, a hair for reals. */
const outside = (bound: number, direction: 1 | -1, spec: FieldSpec) =>
  bound + direction * (spec.integer ? 1 : Math.max(1e-9, Math.abs(bound) * 1e-9));

describe.each(DEVICE_KINDS)('reading schema of %s devices', (kind) => {
  const schema = READING_SCHEMAS[kind];

  it('accepts a minimal and a full reading and keeps their values', () => {
    expect(schema.parse(minimal(kind))).toEqual(minimal(kind));
    expect(schema.parse(full(kind))).toEqual(full(kind));
  });

  it('rejects a reading without any one required field or header', () => {
    const required = [...entries(kind).filter(([, s]) => s.required).map(([n]) => n), 'ts', 'seq', 'boot'];
    for (const name of required) {
      const reading: Record<string, unknown> = full(kind);
      delete reading[name];
      expect(schema.safeParse(reading).success, `without ${name}`).toBe(false);
    }
  });

  it('rejects null for an optional field: absent means absent', () => {
    for (const [name] of entries(kind).filter(([, s]) => !s.required)) {
      expect(schema.safeParse({ ...full(kind), [name]: null }).success, name).toBe(false);
    }
  });

  it('rejects values of the wrong type in every field', () => {
    for (const [name, spec] of entries(kind)) {
      const wrong = spec.type === 'boolean' ? [0, 1, 'true', null, {}] : ['3.5', true, null, [], {}];
      for (const value of wrong) {
        expect(schema.safeParse({ ...full(kind), [name]: value }).success, `${name} = ${JSON.stringify(value)}`).toBe(false);
      }
    }
  });

  it('rejects NaN and infinities, which JSON cannot carry but a decoder bug could', () => {
    for (const [name] of entries(kind).filter(([, s]) => s.type === 'number')) {
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        expect(schema.safeParse({ ...full(kind), [name]: value }).success, `${name} = ${value}`).toBe(false);
      }
    }
  });

  it('accepts every catalogue field at its min and max and rejects it just outside', () => {
    for (const [name, spec] of entries(kind).filter(([, s]) => s.type === 'number')) {
      // Every number field must declare its physically possible range.
      expect(spec.min, `${kind}.${name}.min`).toBeTypeOf('number');
      expect(spec.max, `${kind}.${name}.max`).toBeTypeOf('number');
      const { min, max } = spec as Required<Pick<FieldSpec, 'min' | 'max'>>;
      const check = (value: number, ok: boolean) =>
        expect(schema.safeParse({ ...full(kind), [name]: value }).success, `${kind}.${name} = ${value}`).toBe(ok);
      check(min, true);
      check(max, true);
      check(outside(min, -1, spec), false);
      check(outside(max, 1, spec), false);
      if (spec.integer) check(min + 0.5, false);
    }
  });

  it('accepts true and false for every boolean field', () => {
    for (const [name] of entries(kind).filter(([, s]) => s.type === 'boolean')) {
      for (const value of [true, false]) {
        const parsed: Record<string, unknown> = schema.parse({ ...full(kind), [name]: value });
        expect(parsed[name]).toBe(value);
      }
    }
  });

  it('rejects absurd values far outside the physical range', () => {
    for (const [name] of entries(kind).filter(([, s]) => s.type === 'number')) {
      expect(schema.safeParse({ ...full(kind), [name]: 1e15 }).success, name).toBe(false);
      expect(schema.safeParse({ ...full(kind), [name]: -1e15 }).success, name).toBe(false);
    }
  });

  it('rejects device timestamps before 2020 and after 2100, and bad seq or boot ids', () => {
    const r = full(kind);
    expect(schema.safeParse({ ...r, ts: EARLIEST_DEVICE_TS }).success).toBe(true);
    expect(schema.safeParse({ ...r, ts: EARLIEST_DEVICE_TS - 1 }).success).toBe(false);
    expect(schema.safeParse({ ...r, ts: Date.UTC(2019, 11, 31, 23, 59) }).success).toBe(false);
    expect(schema.safeParse({ ...r, ts: 0 }).success).toBe(false);
    expect(schema.safeParse({ ...r, ts: LATEST_DEVICE_TS + 1 }).success).toBe(false);
    expect(schema.safeParse({ ...r, ts: TS + 0.5 }).success).toBe(false);
    // Seconds instead of milliseconds: a common firmware mistake.
    expect(schema.safeParse({ ...r, ts: Math.floor(TS / 1000) }).success).toBe(false);
    expect(schema.safeParse({ ...r, ts: String(TS) }).success).toBe(false);
    expect(schema.safeParse({ ...r, seq: -1 }).success).toBe(false);
    expect(schema.safeParse({ ...r, seq: 1.5 }).success).toBe(false);
    expect(schema.safeParse({ ...r, seq: 0 }).success).toBe(true);
    for (const boot of ['', 'has space', 'a/b', 'x'.repeat(65), 42]) expect(schema.safeParse({ ...r, boot }).success, String(boot)).toBe(false);
  });

  it('strips unknown fields instead of rejecting the reading', () => {
    const parsed = schema.parse({ ...minimal(kind), firmwareOnlyField: 12, nested: { a: 1 } });
    expect(parsed).toEqual(minimal(kind));
    expect(parsed).not.toHaveProperty('firmwareOnlyField');
  });

  it('rejects something that is not an object', () => {
    for (const value of [null, 42, 'reading', [full(kind)]]) expect(schema.safeParse(value).success).toBe(false);
  });
});

describe.each(DEVICE_KINDS)('batch schema of %s devices', (kind) => {
  const schema = BATCH_SCHEMAS[kind];
  /** Batch readings carry no boot id of their own. */
  const readings = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const { boot: _boot, ...reading } = full(kind);
      return { ...reading, seq: i, ts: TS + i };
    });

  it(`accepts 1 to ${MAX_BATCH_READINGS} readings and rejects an empty or larger batch`, () => {
    expect(schema.safeParse({ boot: 'b-1', readings: readings(1) }).success).toBe(true);
    expect(schema.safeParse({ boot: 'b-1', readings: readings(MAX_BATCH_READINGS) }).success).toBe(true);
    expect(schema.safeParse({ boot: 'b-1', readings: readings(MAX_BATCH_READINGS + 1) }).success).toBe(false);
    expect(schema.safeParse({ boot: 'b-1', readings: [] }).success).toBe(false);
  });

  it('needs the boot id once, on the batch', () => {
    expect(schema.safeParse({ readings: readings(2) }).success).toBe(false);
    expect(schema.safeParse({ boot: 'bad boot', readings: readings(2) }).success).toBe(false);
  });

  it('applies the reading rules to every reading in it', () => {
    const rs = readings(3);
    const required = entries(kind).find(([, s]) => s.required)![0];
    delete (rs[1] as Record<string, unknown>)[required];
    expect(schema.safeParse({ boot: 'b-1', readings: rs }).success).toBe(false);
    expect(schema.safeParse({ boot: 'b-1', readings: [{ ...readings(1)[0], ts: EARLIEST_DEVICE_TS - 1 }] }).success).toBe(false);
  });
});

describe('status schema', () => {
  it('accepts a bare presence flag and a full status', () => {
    expect(statusSchema.parse({ online: false })).toEqual({ online: false });
    const status = { online: true, ts: TS, boot: 'b-1', firmware: '2.4.1', reason: 'power restored' };
    expect(statusSchema.parse(status)).toEqual(status);
  });

  it('rejects a status without online or with wrong types or oversized strings', () => {
    for (const bad of [{}, { online: 'yes' }, { online: 1 }, { online: true, ts: 1 }, { online: true, firmware: 'x'.repeat(65) }, { online: true, reason: 'x'.repeat(201) }]) {
      expect(statusSchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 60)).toBe(false);
    }
  });
});

describe('camera finding schema', () => {
  const base = { ts: TS, seq: 3, boot: 'cam-b', type: 'rodent', confidence: 0.92 };

  it('accepts every finding type, with or without zone and snapshot', () => {
    for (const type of CAMERA_FINDING_TYPES) expect(cameraFindingSchema.safeParse({ ...base, type }).success, type).toBe(true);
    const full = { ...base, zone: 'cold-prep', snapshotUrl: 'https://nvr.example/snap/3.jpg' };
    expect(cameraFindingSchema.parse(full)).toEqual(full);
    expect(cameraFindingSchema.parse({ ...base, snapshotUrl: 'http://10.0.0.5/s.jpg' }).snapshotUrl).toBe('http://10.0.0.5/s.jpg');
  });

  it('rejects unknown types, confidences outside 0..1, non-http snapshot links and old timestamps', () => {
    const bad = [
      { ...base, type: 'cat' },
      { ...base, confidence: 1.01 },
      { ...base, confidence: -0.01 },
      { ...base, confidence: '0.9' },
      { ...base, snapshotUrl: 'javascript:alert(1)' },
      { ...base, snapshotUrl: 'ftp://nvr.example/s.jpg' },
      { ...base, snapshotUrl: 'not a url' },
      { ...base, zone: 'z'.repeat(65) },
      { ...base, ts: EARLIEST_DEVICE_TS - 1 },
      { ...base, seq: -1 },
      { ts: TS, seq: 1, boot: 'b', confidence: 0.5 },
    ];
    for (const finding of bad) expect(cameraFindingSchema.safeParse(finding).success, JSON.stringify(finding)).toBe(false);
    expect(cameraFindingSchema.safeParse({ ...base, confidence: 0 }).success).toBe(true);
    expect(cameraFindingSchema.safeParse({ ...base, confidence: 1 }).success).toBe(true);
  });

  it('strips unknown fields', () => {
    expect(cameraFindingSchema.parse({ ...base, boundingBox: [1, 2, 3, 4] })).not.toHaveProperty('boundingBox');
  });
});

describe('checkDeviceClock', () => {
  const now = TS;

  it('accepts the past and the allowed skew, and rejects anything further ahead', () => {
    expect(checkDeviceClock(now, now, DEFAULT_MAX_FUTURE_SKEW_MS)).toBe(true);
    expect(checkDeviceClock(now - 30 * 86_400_000, now, DEFAULT_MAX_FUTURE_SKEW_MS)).toBe(true);
    expect(checkDeviceClock(now + DEFAULT_MAX_FUTURE_SKEW_MS, now, DEFAULT_MAX_FUTURE_SKEW_MS)).toBe(true);
    expect(checkDeviceClock(now + DEFAULT_MAX_FUTURE_SKEW_MS + 1, now, DEFAULT_MAX_FUTURE_SKEW_MS)).toBe(false);
    expect(checkDeviceClock(now + 1, now, 0)).toBe(false);
    expect(checkDeviceClock(now, now, 0)).toBe(true);
  });
});
