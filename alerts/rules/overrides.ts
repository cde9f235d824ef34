import { z } from 'zod';
import { packSettingsSchema, ruleOverridesSchema, ruleSettingsSchema, type PackSettings, type RulePack, type RuleOverrides, type RuleSettings } from '../../contracts/index.js';

/** Error codes are stable API: the REST layer maps them to 400/404. */
export type RuleSettingsErrorCode = 'RULE_SETTINGS_INVALID' | 'RULE_PACK_UNKNOWN';

export class RuleSettingsError extends Error {
  override readonly name = 'RuleSettingsError';
  constructor(
    readonly code: RuleSettingsErrorCode,
    message: string,
    /** One line per problem, `path: reason`. */
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(issues.length ? `${message}: ${issues.join('; ')}` : message, options);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Lays `override` over `base`. A threshold whose value is overridden without a
 * source gets "<layer> override" as its source: the pack's citation no longer
 * describes a number someone else chose.
 */
function merge(base: unknown, override: unknown, layer: 'site' | 'device'): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(override)) return override;
  const from = isPlainObject(base) ? base : {};
  const out: Record<string, unknown> = { ...from };
  for (const [key, value] of Object.entries(override)) out[key] = merge(from[key], value, layer);
  if ('value' in override && !('source' in override)) out.source = `${layer} override`;
  return out;
}

function zodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/** Relations between settings that the per-field schema cannot express. */
export function settingsProblems(s: PackSettings): string[] {
  const problems: string[] = [];
  for (const [profile, l] of Object.entries(s.temperature)) {
    if (l.minC && l.maxC && l.minC.value >= l.maxC.value) problems.push(`temperature.${profile}: minC must be below maxC`);
    if (l.criticalMaxC && l.maxC && l.criticalMaxC.value < l.maxC.value) problems.push(`temperature.${profile}: criticalMaxC must not be below maxC`);
    if (l.criticalMinC && l.minC && l.criticalMinC.value > l.minC.value) problems.push(`temperature.${profile}: criticalMinC must not be above minC`);
  }
  const dz = s.danger_zone;
  if (dz.lowC.value >= dz.highC.value) problems.push('danger_zone: lowC must be below highC');
  if (dz.warningAfterMin.value > dz.criticalAfterMin.value) problems.push('danger_zone: warningAfterMin must not exceed criticalAfterMin');
  return problems;
}

/** Freezes an object and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function parseOverrides(raw: unknown, layer: 'site' | 'device'): RuleOverrides | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parsed = ruleOverridesSchema.safeParse(raw);
  if (!parsed.success) throw new RuleSettingsError('RULE_SETTINGS_INVALID', `invalid ${layer} overrides`, zodIssues(parsed.error), { cause: parsed.error });
  return parsed.data;
}

/**
 * The effective settings of one device: the pack, then the site's overrides, then
 * the device's (device wins over site wins over pack). Overrides are validated
 * here too, since they may come from storage written by an older version.
 * Returns a frozen object; throws {@link RuleSettingsError} if the result is invalid
 * (e.g. an override gives a threshold without a value where the pack has none).
 */
export function resolveSettings(pack: RulePack, siteOverrides?: unknown, deviceOverrides?: unknown): RuleSettings {
  const site = parseOverrides(siteOverrides, 'site');
  const device = parseOverrides(deviceOverrides, 'device');
  const merged = merge(merge(pack.settings, site, 'site'), device, 'device') as Record<string, unknown>;
  const overrides = [...(site ? (['site'] as const) : []), ...(device ? (['device'] as const) : [])];
  const parsed = ruleSettingsSchema.safeParse({ ...merged, origin: { pack: `${pack.id}@${pack.version}`, overrides } });
  if (!parsed.success) throw new RuleSettingsError('RULE_SETTINGS_INVALID', `settings of ${pack.id}@${pack.version} with overrides are invalid`, zodIssues(parsed.error));
  const problems = settingsProblems(parsed.data);
  if (problems.length) throw new RuleSettingsError('RULE_SETTINGS_INVALID', `settings of ${pack.id}@${pack.version} with overrides are inconsistent`, problems);
  return deepFreeze(parsed.data);
}

/** Checks a pack's data once, at load: a broken pack is a programming error. */
export function definePack(pack: RulePack): RulePack {
  const parsed = packSettingsSchema.safeParse(pack.settings);
  const problems = parsed.success ? settingsProblems(parsed.data) : zodIssues(parsed.error);
  if (problems.length) throw new RuleSettingsError('RULE_SETTINGS_INVALID', `rule pack ${pack.id}@${pack.version} is invalid`, problems);
  return deepFreeze({ ...pack, settings: parsed.data as PackSettings });
}
