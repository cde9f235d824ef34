import type { PackSettings, ProfileLimits, Threshold } from '../../../contracts/index.js';

/**
 * Settings the packs share: alarm tuning and device health, which no food code
 * fixes. Each pack spreads these and sets its jurisdiction's limits on top.
 */

export const CONFIRM_LOCALLY = 'common practice, confirm locally';

export const t = (value: number, source: string): Threshold => ({ value, source });

/**
 * Tuning of the profiles, from the simulated cabinets (simulators/models) and
 * commercial controllers: door openings keep a chilled cabinet above its limit for
 * up to ~20 min, and a freezer's defrost keeps the air above −12 °C for 20–45 min
 * every 6–8 h, so frozen waits 60 min; a critical excursion (a failed compressor)
 * is caught sooner by its size.
 */
export const CHILLED_TUNING = { delayMin: 30, criticalDelayMin: 15, criticalAfterMin: 120, deadbandC: 0.5 } as const;
export const FROZEN_TUNING = { delayMin: 60, criticalDelayMin: 15, criticalAfterMin: 180, deadbandC: 1 } as const;
export const HOT_TUNING = { delayMin: 20, criticalDelayMin: 10, criticalAfterMin: 60, deadbandC: 1 } as const;

type Limits = Partial<Pick<ProfileLimits, 'minC' | 'maxC' | 'targetC' | 'criticalMinC' | 'criticalMaxC'>>;
type Tuning = Pick<ProfileLimits, 'delayMin' | 'criticalDelayMin' | 'criticalAfterMin' | 'deadbandC'>;

/** A profile from the limits it has (the others null) and its tuning. */
export const limits = (set: Limits, tuning: Tuning): ProfileLimits => ({
  minC: null,
  maxC: null,
  targetC: null,
  criticalMinC: null,
  criticalMaxC: null,
  ...set,
  ...tuning,
});

/** Dry store or display at room temperature: no food code fixes it, so only an extreme room alarms. */
export const AMBIENT: ProfileLimits = limits(
  { maxC: t(35, `${CONFIRM_LOCALLY}: dry goods are kept cool and dry; only an extreme room temperature alarms by default`) },
  { delayMin: 60, criticalDelayMin: 0, criticalAfterMin: null, deadbandC: 1 },
);

const rule = (severity: 'info' | 'warning' | 'critical') => ({ enabled: true, severity }) as const;

export const GREASE_PUMP_OUT = {
  pct: t(25, 'grease + solids at 25% of liquid depth: common US municipal rule (domain.md), confirm locally'),
  days: t(90, 'at least every 90 days: common US municipal rule (domain.md), confirm locally'),
};

/** Device health, oil-trap tuning and camera supervision, the same in every pack so far. */
export const SHARED: Omit<PackSettings, 'temperature' | 'danger_zone' | 'oil_effluent_high' | 'businessHours'> = {
  temperature_high: rule('warning'),
  temperature_low: rule('warning'),
  // A reading every expectedIntervalS: three missed in a row is silence, not jitter; never under 5 min.
  no_data: { ...rule('warning'), intervalMultiple: 3, minSilenceS: 300 },
  // MQTT keepalive reconnects take seconds; a device gone for 5 min is really gone.
  device_offline: { ...rule('warning'), graceS: 300 },
  battery_low: { ...rule('warning'), belowPct: t(20, CONFIRM_LOCALLY), deadbandPct: 5 },
  // Controllers sound a door alarm after 1–5 min; a delivery being loaded takes a few.
  door_open: { ...rule('warning'), maxOpenMin: t(5, CONFIRM_LOCALLY) },
  oil_fill_high: { ...rule('warning'), pumpOutAtPct: GREASE_PUMP_OUT.pct, deadbandPct: 2 },
  oil_overflow: rule('critical'),
  oil_pump_out_overdue: { ...rule('warning'), maxDays: GREASE_PUMP_OUT.days },
  // A week's notice books a vacuum truck; the trend is over ~3 days so a quiet Sunday does not swing it.
  oil_full_forecast: { ...rule('info'), horizonDays: 7, deadbandDays: 2, halfLifeDays: 3, minHistoryDays: 2, pumpOutDropPct: 5 },
  // NVRs and Wi-Fi drop for a few minutes now and then; regulators count sustained outages.
  camera_offline: { ...rule('warning'), graceMin: 10 },
  camera_not_streaming: { ...rule('warning'), graceMin: 10 },
  // A hand or steam passing the lens is not a cover.
  camera_lens_occluded: { ...rule('warning'), delayMin: 2 },
  camera_lens_moved: { ...rule('warning'), delayMin: 2 },
  camera_storage_low: {
    ...rule('warning'),
    // Loop-recording NVRs overwrite the oldest day at a few % free; only less than that
    // means recording (and the ≥ 15 days retention platforms require) is at risk.
    belowPct: t(5, `${CONFIRM_LOCALLY}; kitchen video retention ≥ 15 days is the common platform rule (domain.md)`),
    deadbandPct: 2,
  },
  anomaly: { ...rule('info'), sensitivity: 0.5 },
};
