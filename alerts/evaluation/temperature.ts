import type { RuleSettings, TemperatureProfile } from '../rules/index.js';
import { deepFreeze } from '../rules/overrides.js';
import type { Rule } from './rule.js';
import { MINUTE_MS } from './support.js';
import { ThresholdRule, type ThresholdSpec } from './threshold-rule.js';

/**
 * The specs of each (settings, profile), built once: settings are frozen and
 * shared by every device with the same overrides (evaluator-factory.ts), and a
 * spec is read-only, so 150,000 devices at start share a few specs instead of
 * building 300,000.
 */
const specCache = new WeakMap<RuleSettings, Map<TemperatureProfile, readonly ThresholdSpec[]>>();

/**
 * temperature_high and temperature_low of one temperature profile: the profile's
 * limits (domain.md: chilled 0–8 °C, frozen alarm above −12 °C, hot holding ≥ 60 °C
 * in China, ≥ 57 °C under FDA Food Code 3-501.16), with the delay that lets door
 * openings and defrosts pass and the deadband that keeps a hovering reading from
 * flapping. A rule is left out when its limit is null or it is disabled.
 */
export function temperatureRules(profile: TemperatureProfile, settings: RuleSettings): Rule[] {
  let byProfile = specCache.get(settings);
  if (!byProfile) specCache.set(settings, (byProfile = new Map()));
  let specs = byProfile.get(profile);
  if (!specs) byProfile.set(profile, (specs = Object.freeze(temperatureSpecs(profile, settings))));
  return specs.map((spec) => new ThresholdRule(spec));
}

function temperatureSpecs(profile: TemperatureProfile, settings: RuleSettings): ThresholdSpec[] {
  const limits = settings.temperature[profile];
  const specs: ThresholdSpec[] = [];
  const common = {
    field: 'temperatureC',
    label: 'temperature',
    unit: '°C',
    deadband: limits.deadbandC,
    delayMs: limits.delayMin * MINUTE_MS,
  } as const;
  const critical = (limit: number | null) => ({
    limit,
    delayMs: limits.criticalDelayMin * MINUTE_MS,
    afterMs: limits.criticalAfterMin === null ? null : limits.criticalAfterMin * MINUTE_MS,
  });
  const detail = (source: string) => ({ profile, targetC: limits.targetC?.value ?? null, source });
  if (limits.maxC && settings.temperature_high.enabled) {
    specs.push(
      deepFreeze({
        ...common,
        id: 'temperature_high',
        direction: 'above',
        limit: limits.maxC.value,
        severity: settings.temperature_high.severity,
        critical: critical(limits.criticalMaxC?.value ?? null),
        detail: detail(limits.maxC.source),
      } satisfies ThresholdSpec),
    );
  }
  if (limits.minC && settings.temperature_low.enabled) {
    specs.push(
      deepFreeze({
        ...common,
        id: 'temperature_low',
        direction: 'below',
        limit: limits.minC.value,
        severity: settings.temperature_low.severity,
        critical: critical(limits.criticalMinC?.value ?? null),
        detail: detail(limits.minC.source),
      } satisfies ThresholdSpec),
    );
  }
  return specs;
}
