import type { Device } from '../../../contracts/index.js';
import { createModel, type FaultName } from '../../../simulators/models/index.js';
import type { RuleTarget } from '../../../alerts/evaluation/rule.js';
import type { TelemetryRecord } from '../../../store/index.js';

/** Midnight in Shanghai, where the simulated kitchens keep their hours. */
export const T0 = Date.UTC(2025, 5, 2, 16);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const STEP = 30_000;

export interface Series {
  t: number[];
  v: number[];
}

/** Readings of a simulated chilled or frozen cabinet every 30 s, with an optional fault injected at `faultAtH` hours. */
export function simulate(profile: 'chilled' | 'frozen', seed: number, hours: number, fault?: { name: FaultName; atH: number }): Series {
  const model = createModel('temperature', profile, seed);
  const out: Series = { t: [], v: [] };
  for (let t = T0; t <= T0 + hours * HOUR; t += STEP) {
    if (fault && t === T0 + fault.atH * HOUR) model.inject(fault.name, t);
    const temp = model.sample(t)?.temperatureC;
    if (typeof temp !== 'number') continue;
    out.t.push(t);
    out.v.push(temp);
  }
  return out;
}

export function target(profile: 'chilled' | 'frozen' = 'chilled', kind: Device['kind'] = 'temperature'): RuleTarget {
  const device: Device = {
    id: `fridge-${profile}`, siteId: 'site-1', kind, label: `Test ${profile}`, profile, expectedIntervalS: 30,
    createdAt: 0, revokedAt: null, online: true, presenceChangedAt: null,
  };
  return { device, site: { id: 'site-1', timezone: 'Asia/Shanghai' } };
}

export function record(t: number, temperatureC: number, seq = 0): TelemetryRecord {
  return { deviceId: 'fridge-1', kind: 'temperature', ts: t, seq, boot: 'b1', receivedAt: t, values: { temperatureC } };
}
