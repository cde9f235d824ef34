import type { Condition, Device, DeviceKind, DeviceProfile, FieldValues } from '../../../contracts/index.js';
import { createDeviceRules, type DeviceRules } from '../../../alerts/evaluation/device-rules.js';
import { CN_CATERING, resolveSettings, type RuleOverrides, type RulePack } from '../../../alerts/rules/index.js';
import type { TelemetryRecord } from '../../../store/index.js';

/** Midnight in Shanghai, 2025-06-02 (a Monday), as UTC: 16:00 the day before. */
export const T0 = Date.UTC(2025, 5, 1, 16);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export function device(kind: DeviceKind, profile: DeviceProfile, expectedIntervalS = 60): Device {
  return {
    id: `${profile}-1`,
    siteId: 'site-1',
    kind,
    label: profile,
    profile,
    expectedIntervalS,
    createdAt: T0 - DAY,
    revokedAt: null,
    online: true,
    presenceChangedAt: T0 - DAY,
  };
}

let seq = 0;
/** A reading taken at `ts` (device clock), received `delayMs` later. */
export function rec(kind: DeviceKind, ts: number, values: FieldValues, delayMs = 500): TelemetryRecord {
  return { deviceId: 'd', kind, ts, seq: seq++, boot: 'b1', receivedAt: ts + delayMs, values };
}

/** Rules of one device under a pack (cn-catering unless given), with optional device overrides. */
export function rulesFor(kind: DeviceKind, profile: DeviceProfile, opts: { pack?: RulePack; device?: RuleOverrides; timezone?: string; intervalS?: number } = {}): DeviceRules {
  const settings = resolveSettings(opts.pack ?? CN_CATERING, undefined, opts.device);
  return createDeviceRules({ device: device(kind, profile, opts.intervalS), site: { id: 'site-1', timezone: opts.timezone ?? 'Asia/Shanghai' } }, settings);
}

/** Feeds temperature readings `[minutes after T0, °C]` and returns every condition, in order. */
export function feedTemps(rules: DeviceRules, points: ReadonlyArray<readonly [number, number]>): Condition[] {
  return points.flatMap(([m, c]) => rules.reading(rec('temperature', T0 + m * MIN, { temperatureC: c })));
}

/** `[from, to]` minutes every `step` minutes with a value from `f(minute)`. */
export function series(from: number, to: number, step: number, f: (m: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let m = from; m <= to; m += step) out.push([m, f(m)]);
  return out;
}

export const only = (cs: Condition[], rule: Condition['rule']) => cs.filter((c) => c.rule === rule);
