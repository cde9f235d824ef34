import { z } from 'zod';
import { RuleSettingsError } from './overrides.js';
import { CN_CATERING } from './packs/cn-catering.js';
import { US_FOOD_CODE } from './packs/us-food-code.js';
import type { RulePack } from '../../contracts/index.js';

/** The settings' schemas and types are contracts (the REST API validates overrides with them); re-exported for the rule code. */
export * from '../../contracts/rule-settings.js';
export { resolveSettings, RuleSettingsError, settingsProblems, type RuleSettingsErrorCode } from './overrides.js';
export { CN_CATERING, US_FOOD_CODE };

/** Every rule pack this build knows, by id. */
export const RULE_PACKS: Readonly<Record<string, RulePack>> = Object.freeze({
  [CN_CATERING.id]: CN_CATERING,
  [US_FOOD_CODE.id]: US_FOOD_CODE,
});

export const RULE_PACK_IDS = Object.keys(RULE_PACKS) as [string, ...string[]];
/** For APIs that let a site choose its pack. */
export const rulePackIdSchema = z.enum(RULE_PACK_IDS);

/** The pack with this id; throws {@link RuleSettingsError} `RULE_PACK_UNKNOWN` otherwise. */
export function getRulePack(id: string): RulePack {
  const pack = Object.hasOwn(RULE_PACKS, id) ? RULE_PACKS[id] : undefined;
  if (!pack) throw new RuleSettingsError('RULE_PACK_UNKNOWN', `no rule pack "${id}" (known: ${RULE_PACK_IDS.join(', ')})`);
  return pack;
}
