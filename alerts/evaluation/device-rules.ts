import type { Condition, ConditionRuleId } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import { TEMPERATURE_PROFILES, type RuleSettings, type TemperatureProfile } from '../rules/index.js';
import { cameraRules } from './camera.js';
import { DeviceOfflineRule, NoDataRule } from './connectivity.js';
import { DangerZoneRule } from './danger-zone.js';
import { batteryRule, doorRule } from './health.js';
import { OilFullForecastRule } from './oil-forecast.js';
import { oilRules } from './oil.js';
import type { Rule, RuleTarget } from './rule.js';
import { temperatureRules } from './temperature.js';

export type { Rule, RuleTarget } from './rule.js';

/**
 * Per rule id, the JSON state of that rule, and whether every rule was at rest
 * when it was taken (such a snapshot may be saved lazily, minutes late).
 */
export type DeviceRulesSnapshot = Partial<Record<ConditionRuleId, unknown>> & { [AT_REST_KEY]?: boolean };

/** Not a rule id (those are snake_case words). */
const AT_REST_KEY = '$atRest';

export type Insights = Record<string, number | string | boolean | null>;

/**
 * All the rules watching one device. Each call returns the conditions whose
 * verdict changed (raised, cleared, or severity changed), in rule order; usually none.
 */
export interface DeviceRules {
  /** Which rules run for this device, in evaluation order. */
  readonly ruleIds: readonly ConditionRuleId[];
  /** A stored reading of this device (in arrival order; older device times are ignored per rule). */
  reading(record: TelemetryRecord): Condition[];
  /** The broker saw the device connect (true) or disconnect / publish its last will (false); server clock. */
  presence(online: boolean, at: number): Condition[];
  /** The passage of time, server clock epoch ms; call every few seconds. */
  tick(now: number): Condition[];
  /** Every rule's state, keyed by rule id, plain JSON. */
  snapshot(): DeviceRulesSnapshot;
  /** Every rule is at rest ({@link Rule.atRest}): the state may be saved lazily. */
  atRest(): boolean;
  /**
   * Restores a {@link snapshot}, from the store (default) or, for a device being
   * reconfigured, `live`. Per rule: a rule missing from the snapshot, or whose
   * state it does not understand (an older rule set), starts fresh; never throws.
   */
  restore(snapshot: unknown, from?: 'store' | 'live'): void;
  /** Facts worth showing without an alarm, merged from the rules (e.g. `forecastFullAt`). */
  insights(): Insights;
}

/** Shared by every call that changed nothing; callers only read it. */
const NO_CONDITIONS: Condition[] = Object.freeze([]) as unknown as Condition[];

function isTemperatureProfile(profile: string): profile is TemperatureProfile {
  return (TEMPERATURE_PROFILES as readonly string[]).includes(profile);
}

/** The built-in rules that apply to a device's kind and profile and are enabled. */
function builtInRules(target: RuleTarget, s: RuleSettings): Rule[] {
  const { device, site } = target;
  const rules: Array<Rule | undefined> = [];
  if (s.no_data.enabled) rules.push(new NoDataRule(device, s.no_data));
  if (s.device_offline.enabled) rules.push(new DeviceOfflineRule(device, s.device_offline));
  switch (device.kind) {
    case 'temperature':
      // A temperature device with a non-temperature profile is misregistered: it gets health rules only.
      if (isTemperatureProfile(device.profile)) {
        rules.push(...temperatureRules(device.profile, s));
        if (s.danger_zone.enabled && s.danger_zone.profiles.includes(device.profile)) rules.push(new DangerZoneRule(s));
      }
      rules.push(doorRule(s), batteryRule(s));
      break;
    case 'oil_separator':
      rules.push(...oilRules(s));
      if (s.oil_full_forecast.enabled) rules.push(new OilFullForecastRule(s));
      rules.push(batteryRule(s));
      break;
    case 'camera':
      rules.push(...cameraRules(s, site.timezone));
      break;
  }
  return rules.filter((r): r is Rule => r !== undefined);
}

/**
 * The rules for one device under its effective settings (see `resolveSettings`).
 * `extra` adds rules from elsewhere (the anomaly rule); ids must be unique, since
 * snapshots are keyed by them. Throws RangeError for a duplicate id or an unknown
 * site timezone on a camera.
 */
export function createDeviceRules(target: RuleTarget, settings: RuleSettings, extra: readonly Rule[] = []): DeviceRules {
  const rules = [...builtInRules(target, settings), ...extra];
  const ids = rules.map((r) => r.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new RangeError(`rule ${dup} is added twice for device ${target.device.id}`);
  // A rule that cannot say it is at rest never is; then neither is the device, whatever the others say.
  const restable = rules.every((r) => r.atRest !== undefined);
  const atRest = (): boolean => {
    if (!restable) return false;
    for (const rule of rules) if (!rule.atRest!()) return false;
    return true;
  };
  /** Runs every rule; the array is only allocated when a verdict changed, which is rare. */
  const collect = (fn: (rule: Rule) => Condition | undefined): Condition[] => {
    let out: Condition[] | undefined;
    for (const rule of rules) {
      const c = fn(rule);
      if (c) (out ??= []).push(c);
    }
    return out ?? NO_CONDITIONS;
  };
  return {
    ruleIds: ids,
    reading: (record) => collect((r) => r.reading?.(record, record.receivedAt)),
    presence: (online, at) => collect((r) => r.presence?.(online, at)),
    tick: (now) => collect((r) => r.tick?.(now)),
    snapshot: () => {
      const snapshot: DeviceRulesSnapshot = Object.fromEntries(rules.map((r) => [r.id, r.snapshot()]));
      snapshot[AT_REST_KEY] = atRest();
      return snapshot;
    },
    atRest,
    restore: (snapshot, source = 'store') => {
      if (typeof snapshot !== 'object' || snapshot === null) return;
      const byId = snapshot as Record<string, unknown>;
      // A snapshot from before the marker was saved at every change: not lazily.
      const lazy = source === 'store' && byId[AT_REST_KEY] === true;
      for (const rule of rules) {
        if (!Object.hasOwn(byId, rule.id)) continue;
        try {
          rule.restore(byId[rule.id], lazy);
        } catch {
          // An extra rule that throws on a foreign state starts fresh, as the contract says it should.
        }
      }
    },
    insights: () => Object.assign({}, ...rules.map((r) => r.insight?.() ?? {})) as Insights,
  };
}
