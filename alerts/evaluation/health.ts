import type { RuleSettings } from '../rules/index.js';
import { FlagRule } from './flag-rule.js';
import type { Rule } from './rule.js';
import { flagField, MINUTE_MS } from './support.js';
import { ThresholdRule } from './threshold-rule.js';

/**
 * battery_low: below the limit at once (a battery does not recover by itself), and
 * cleared only `deadbandPct` above it, since a cell's voltage, and so its reported
 * charge, rises a little when it warms or rests.
 */
export function batteryRule(settings: RuleSettings): Rule | undefined {
  const b = settings.battery_low;
  if (!b.enabled) return undefined;
  return new ThresholdRule({
    id: 'battery_low',
    field: 'batteryPct',
    label: 'battery',
    unit: '%',
    direction: 'below',
    limit: b.belowPct.value,
    deadband: b.deadbandPct,
    delayMs: 0,
    severity: b.severity,
    detail: { source: b.belowPct.source },
  });
}

/** door_open: the door reported open for longer than `maxOpenMin` (device clock; see {@link FlagRule} for ticks). */
export function doorRule(settings: RuleSettings): Rule | undefined {
  const d = settings.door_open;
  if (!d.enabled) return undefined;
  return new FlagRule({
    id: 'door_open',
    severity: d.severity,
    delayMs: d.maxOpenMin.value * MINUTE_MS,
    what: 'door open',
    test: (v) => flagField(v, 'doorOpen'),
    detail: { source: d.maxOpenMin.source },
  });
}
