import { z } from 'zod';
import { severitySchema } from './alerts.js';

/**
 * The settings of a rule pack, as data. Every limit is a {@link Threshold}: its
 * value travels with the standard or clause it comes from (or "common practice,
 * confirm locally"), so an auditor reading an alert can see why the line is there.
 * Delays, deadbands and graces are tuning of the alarm, not food-safety limits:
 * they are plain numbers, explained where each pack sets them.
 */

/** A limit and where it comes from. */
export const thresholdSchema = z.strictObject({
  value: z.number().finite(),
  /** Standard and clause, or "common practice, confirm locally"; "site override"/"device override" once overridden. */
  source: z.string().min(1).max(300),
});
export type Threshold = z.infer<typeof thresholdSchema>;

const minutes = z.number().min(0).max(7 * 24 * 60);
const nonNegative = z.number().finite().min(0);

/** Every rule can be switched off and given the severity it raises with. */
const ruleBase = { enabled: z.boolean(), severity: severitySchema };

/**
 * Alarm limits of one temperature profile. Excursions shorter than the delay
 * (door openings, defrost) do not alarm; a condition clears only `deadbandC`
 * inside the limit, so a reading hovering at the limit does not flap.
 */
export const profileLimitsSchema = z.strictObject({
  /** Below this: temperature_low. null: no lower limit. */
  minC: thresholdSchema.nullable(),
  /** Above this: temperature_high. null: no upper limit. */
  maxC: thresholdSchema.nullable(),
  /** What the cabinet should hold (e.g. −18 °C frozen); shown with alerts, never alarms by itself. */
  targetC: thresholdSchema.nullable(),
  /** A big excursion: beyond these for `criticalDelayMin` raises (or upgrades to) critical. */
  criticalMinC: thresholdSchema.nullable(),
  criticalMaxC: thresholdSchema.nullable(),
  /** How long a reading must stay beyond min/max before a warning (device clock). */
  delayMin: minutes,
  /** How long beyond a critical limit before critical; usually shorter than `delayMin`. */
  criticalDelayMin: minutes,
  /** An excursion that lasts this long becomes critical whatever its size; null: never by duration. */
  criticalAfterMin: minutes.nullable(),
  /** A condition clears only this far back inside the limit (°C). */
  deadbandC: z.number().min(0).max(20),
});
export type ProfileLimits = z.infer<typeof profileLimitsSchema>;

export const TEMPERATURE_PROFILES = ['chilled', 'frozen', 'hot_holding', 'ambient'] as const;
export type TemperatureProfile = (typeof TEMPERATURE_PROFILES)[number];

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time HH:MM, 00:00–23:59');
/** Opening hours of one day, local time; `close` ≤ `open` means the kitchen closes after midnight. */
export const openingWindowSchema = z.strictObject({ open: hhmm, close: hhmm });
export type OpeningWindow = z.infer<typeof openingWindowSchema>;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The whole settings of a pack; overrides are deep partials of this. */
export const packSettingsSchema = z.strictObject({
  temperature_high: z.strictObject(ruleBase),
  temperature_low: z.strictObject(ruleBase),
  /** Limits per temperature profile; both temperature rules read them. */
  temperature: z.strictObject({
    chilled: profileLimitsSchema,
    frozen: profileLimitsSchema,
    hot_holding: profileLimitsSchema,
    ambient: profileLimitsSchema,
  }),
  /**
   * The danger-zone clock: cumulative time strictly between `lowC` and `highC`.
   * `severity` is the first stage's; the second stage is always critical (discard).
   * The clock and the condition reset after `resetAfterMin` continuously outside the zone.
   */
  danger_zone: z.strictObject({
    ...ruleBase,
    lowC: thresholdSchema,
    highC: thresholdSchema,
    warningAfterMin: thresholdSchema,
    criticalAfterMin: thresholdSchema,
    profiles: z.array(z.enum(TEMPERATURE_PROFILES)).max(4),
    resetAfterMin: minutes,
  }),
  /** Silence longer than max(intervalMultiple × expectedIntervalS, minSilenceS), server clock. */
  no_data: z.strictObject({ ...ruleBase, intervalMultiple: z.number().min(1).max(100), minSilenceS: nonNegative }),
  /** Disconnected (or last will) for longer than `graceS`. */
  device_offline: z.strictObject({ ...ruleBase, graceS: nonNegative }),
  battery_low: z.strictObject({ ...ruleBase, belowPct: thresholdSchema, deadbandPct: z.number().min(0).max(50) }),
  door_open: z.strictObject({ ...ruleBase, maxOpenMin: thresholdSchema }),
  /** Grease + solids as % of liquid depth at which a pump-out is due. */
  oil_fill_high: z.strictObject({ ...ruleBase, pumpOutAtPct: thresholdSchema, deadbandPct: z.number().min(0).max(50) }),
  oil_overflow: z.strictObject(ruleBase),
  oil_effluent_high: z.strictObject({ ...ruleBase, delayMin: minutes, maxMgL: thresholdSchema, deadbandMgL: nonNegative }),
  oil_pump_out_overdue: z.strictObject({ ...ruleBase, maxDays: thresholdSchema }),
  /**
   * Forecast of when the fill reaches `oil_fill_high.pumpOutAtPct`: active while that
   * is within `horizonDays`, cleared beyond `horizonDays + deadbandDays`.
   */
  oil_full_forecast: z.strictObject({
    ...ruleBase,
    horizonDays: z.number().min(0).max(365),
    deadbandDays: z.number().min(0).max(365),
    /** Half-life of the exponentially weighted trend (days). */
    halfLifeDays: z.number().positive().max(365),
    /** No forecast until the estimator has seen this much history since the last pump-out. */
    minHistoryDays: z.number().min(0).max(365),
    /** A fill drop of at least this many points between readings counts as a pump-out. */
    pumpOutDropPct: z.number().positive().max(100),
  }),
  camera_offline: z.strictObject({ ...ruleBase, graceMin: minutes }),
  camera_not_streaming: z.strictObject({ ...ruleBase, graceMin: minutes }),
  camera_lens_occluded: z.strictObject({ ...ruleBase, delayMin: minutes }),
  camera_lens_moved: z.strictObject({ ...ruleBase, delayMin: minutes }),
  camera_storage_low: z.strictObject({ ...ruleBase, belowPct: thresholdSchema, deadbandPct: z.number().min(0).max(50) }),
  /** When a kitchen must be watched (camera rules), site-local time. */
  businessHours: z.strictObject({
    source: z.string().min(1).max(300),
    daily: openingWindowSchema,
    /** Per-weekday exceptions: a window, or null for closed all day. A missing day uses `daily`. */
    weekdays: z.strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, openingWindowSchema.nullable().optional()])) as Record<Weekday, z.ZodOptional<z.ZodNullable<typeof openingWindowSchema>>>),
  }),
  /** The anomaly rule (alerts/anomaly/) reads these; higher sensitivity flags smaller deviations. */
  anomaly: z.strictObject({ ...ruleBase, sensitivity: z.number().min(0).max(1) }),
});
export type PackSettings = z.infer<typeof packSettingsSchema>;

/** Where effective settings came from: the pack (`id@version`) and which override layers applied. */
export const settingsOriginSchema = z.strictObject({
  pack: z.string().regex(/^[a-z0-9-]+@\d+$/),
  overrides: z.array(z.enum(['site', 'device'])),
});
export type SettingsOrigin = z.infer<typeof settingsOriginSchema>;

/** The effective settings one device is evaluated with: a pack, overridden per site and device. */
export const ruleSettingsSchema = packSettingsSchema.extend({ origin: settingsOriginSchema });
export type RuleSettings = z.infer<typeof ruleSettingsSchema>;

/** A versioned, named set of defaults. Bump `version` whenever a value changes, so alerts can say which one judged them. */
export interface RulePack {
  readonly id: string;
  readonly version: number;
  readonly name: string;
  /** Which jurisdiction and standards it follows. */
  readonly description: string;
  readonly settings: PackSettings;
}

/** Any part of T may be left out; arrays and leaves are replaced whole. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** What a site or a device changes about its pack: a deep partial of the pack settings. */
export type RuleOverrides = DeepPartial<PackSettings>;

/**
 * The deep partial of a zod object schema, strict at every level: a key the
 * settings do not have is an error, so a typo (`maxc`) cannot silently do nothing.
 * zod 4 has no `deepPartial()`, so this walks the shape.
 */
function deepPartialStrict(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional) return deepPartialStrict(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodNullable) return deepPartialStrict(schema.unwrap() as z.ZodType).nullable();
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>;
    return z.strictObject(Object.fromEntries(Object.entries(shape).map(([key, child]) => [key, deepPartialStrict(child).optional()])));
  }
  return schema;
}

/** Validates a site's or device's overrides (e.g. in the REST API) before they are stored. */
export const ruleOverridesSchema = deepPartialStrict(packSettingsSchema) as z.ZodType<RuleOverrides>;

