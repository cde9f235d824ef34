import type { Logger } from '../observability/logger.js';
import type { RuleStateStore } from '../store/index.js';
import { createAnomalyRule } from './anomaly/rule.js';
import type { DeviceEvaluator, EvaluatorFactory } from './engine.js';
import { createDeviceRules, type Rule, type RuleTarget } from './evaluation/device-rules.js';
import { getRulePack, resolveSettings, RuleSettingsError, type RuleSettings } from './rules/index.js';

export interface EvaluatorFactoryOptions {
  /** The pack every site uses unless it overrides a setting (SK_RULE_PACK). Unknown: throws at start. */
  packId: string;
  ruleState: Pick<RuleStateStore, 'getOverrides'>;
  logger: Logger;
}

/** The anomaly detector watches temperature probes, with the pack's (or an override's) sensitivity. */
function anomalyRules(target: RuleTarget, settings: RuleSettings): Rule[] {
  const { anomaly } = settings;
  if (!anomaly.enabled || target.device.kind !== 'temperature') return [];
  return [createAnomalyRule(target, { sensitivity: anomaly.sensitivity, severity: anomaly.severity })];
}

/**
 * Builds each device's rules from the pack, the site's overrides and the
 * device's overrides (device wins), plus the anomaly detector where enabled. Overrides are validated when they are set;
 * one that no longer fits (the settings changed shape in an upgrade) is skipped
 * with a warning rather than leaving the device unwatched.
 */
export function createEvaluatorFactory(options: EvaluatorFactoryOptions): EvaluatorFactory {
  const pack = getRulePack(options.packId);
  /**
   * Resolved settings by their overrides: validating and freezing the settings is
   * most of the cost of building a device's rules, and 150,000 devices at start
   * share a handful of override combinations (most have none). Settings are
   * frozen, so sharing them is safe.
   */
  const resolved = new Map<string, RuleSettings>();
  const cached = (key: string, resolve: () => RuleSettings): RuleSettings => {
    let settings = resolved.get(key);
    if (!settings) resolved.set(key, (settings = resolve()));
    return settings;
  };
  return async (target): Promise<DeviceEvaluator> => {
    const site = await options.ruleState.getOverrides({ kind: 'site', id: target.site.id });
    const device = await options.ruleState.getOverrides({ kind: 'device', id: target.device.id });
    const settings =
      settle(() => cached(JSON.stringify([site, device]), () => resolveSettings(pack, site, device)), 'device') ??
      settle(() => cached(JSON.stringify([site]), () => resolveSettings(pack, site)), 'site') ??
      cached('[]', () => resolveSettings(pack));
    return createDeviceRules(target, settings, anomalyRules(target, settings));

    function settle(resolve: () => RuleSettings, layer: 'site' | 'device'): RuleSettings | undefined {
      try {
        return resolve();
      } catch (error) {
        if (!(error instanceof RuleSettingsError)) throw error;
        options.logger.warn({ deviceId: target.device.id, siteId: target.site.id, err: error.message }, `stored ${layer} rule overrides no longer fit; ignoring them`);
        return undefined;
      }
    }
  };
}
