import type { CameraFindingType, Severity } from '../contracts/index.js';

/** When and how often people hear about an alert. Every value is configurable (SK_ALERT_* in app/config.ts). */
export interface AlertPolicy {
  /** Unacknowledged this long after it was raised → the district's supervisors are told. */
  escalateToDistrictAfterMs: number;
  /** Unacknowledged this long → the city's supervisors are told. */
  escalateToCityAfterMs: number;
  /** While an alert is not resolved, remind its audience this often. */
  reminderEveryMs: number;
  /** At most this many notifications (raise, escalations, reminders, severity upgrades) per alert. */
  maxNotificationsPerAlert: number;
  /** A rule that raised this many alerts for one device within {@link flapWindowMs} is flapping. */
  flapRaises: number;
  flapWindowMs: number;
  /** A flapping alert is held open and resolves only after its condition stayed clear this long. */
  flapQuietMs: number;
}

export const DEFAULT_ALERT_POLICY: Readonly<AlertPolicy> = Object.freeze({
  escalateToDistrictAfterMs: 30 * 60_000,
  escalateToCityAfterMs: 2 * 3_600_000,
  reminderEveryMs: 3_600_000,
  maxNotificationsPerAlert: 6,
  flapRaises: 4,
  flapWindowMs: 3_600_000,
  flapQuietMs: 30 * 60_000,
});

/**
 * Severity of an AI finding before anyone looked at it. A rodent or an open
 * flame nobody watches is a hazard now; a missing hat is a hygiene lapse.
 */
export const FINDING_SEVERITY: Readonly<Record<CameraFindingType, Severity>> = {
  no_chef_hat: 'warning',
  no_mask: 'warning',
  mask_worn_wrongly: 'info',
  no_work_clothes: 'warning',
  smoking: 'warning',
  phone_use: 'info',
  rodent: 'critical',
  uncovered_bin: 'info',
  unattended_flame: 'critical',
  unauthorised_person: 'warning',
};
