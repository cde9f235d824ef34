import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../contracts/index.js';
import { CN_CATERING } from '../../../alerts/rules/index.js';
import { Freezer, type FaultName } from '../../../simulators/models/index.js';
import { HOUR, MIN, rec, rulesFor, T0 } from './helpers.js';

const TEMPERATURE = new Set<Condition['rule']>(['temperature_high', 'temperature_low', 'danger_zone']);

/** 48 h of a simulated freezer, a reading a minute, through the cn-catering rules. */
function simulate(seed: number, fault?: { name: FaultName; atH: number }) {
  const model = new Freezer(seed);
  const rules = rulesFor('temperature', 'frozen');
  const conditions: Condition[] = [];
  let peak = -Infinity;
  let minutesAboveAlarm = 0;
  for (let t = T0; t <= T0 + 48 * HOUR; t += MIN) {
    if (fault && t === T0 + fault.atH * HOUR) model.inject(fault.name, t);
    const values = model.sample(t);
    if (!values) continue;
    const c = values.temperatureC as number;
    peak = Math.max(peak, c);
    if (c > CN_CATERING.settings.temperature.frozen.maxC!.value) minutesAboveAlarm++;
    conditions.push(...rules.reading(rec('temperature', t, values)), ...rules.tick(t + 1000));
  }
  return { conditions: conditions.filter((c) => TEMPERATURE.has(c.rule)), peak, minutesAboveAlarm };
}

describe('a simulated freezer under cn-catering', () => {
  it.each([1, 2, 3, 4, 5])('seed %i: 48 h of normal defrost cycles raise no temperature alarm', (seed) => {
    const run = simulate(seed);
    // The run really did go above the −12 °C alarm line (defrosts), so the silence is the delay at work.
    expect(run.peak).toBeGreaterThan(-12);
    expect(run.minutesAboveAlarm).toBeGreaterThan(30);
    expect(run.conditions).toEqual([]);
  });

  it.each([1, 2, 3])('seed %i: a compressor failure raises temperature_high and reaches critical', (seed) => {
    const failAt = T0 + 24 * HOUR;
    const high = simulate(seed, { name: 'compressor_failure', atH: 24 }).conditions.filter((c) => c.rule === 'temperature_high');
    // Warning then critical, or critical at once when the failure catches the air warm from a defrost.
    expect(high.length).toBeGreaterThanOrEqual(1);
    expect(high.every((c) => c.active)).toBe(true);
    expect(high.at(-1)!.severity).toBe('critical');
    // Raised in the hours after the failure, dated from when the air passed −12 °C.
    expect(high[0]!.at).toBeGreaterThanOrEqual(failAt);
    expect(high[0]!.at).toBeLessThan(failAt + 4 * HOUR);
  });
});
