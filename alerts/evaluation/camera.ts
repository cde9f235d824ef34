import type { FieldValues } from '../../contracts/index.js';
import type { RuleSettings } from '../rules/index.js';
import { businessHours } from './business-hours.js';
import { FlagRule } from './flag-rule.js';
import type { Rule } from './rule.js';
import { flagField, MINUTE_MS } from './support.js';
import { ThresholdRule } from './threshold-rule.js';

const negate = (v: boolean | undefined) => (v === undefined ? undefined : !v);

/**
 * Camera rules. 明厨亮灶 asks that the kitchen be visible while it works, so
 * camera_offline and camera_not_streaming count only during the site's business
 * hours (its IANA zone): outside them nothing new raises, and the grace starts
 * again at opening. A condition already raised stays active past closing until the
 * camera is back: clearing it at closing would report a fix that never happened
 * (and count towards the rectification rate, 整改率), then raise it again at opening.
 *
 * camera_not_streaming covers a camera that is online but not publishing; while it
 * is offline that is camera_offline's case, so such readings decide nothing here.
 * Lens and storage rules hold at all hours: a covered lens at night hides rodents.
 */
export function cameraRules(settings: RuleSettings, timeZone: string): Rule[] {
  const open = businessHours(settings.businessHours, timeZone);
  const hoursDetail = { timezone: timeZone, hoursSource: settings.businessHours.source };
  const rules: Rule[] = [];
  const c = settings;
  // Offline is what the NVR/gateway reports in `online`; presence of the MQTT link is device_offline's.
  const gated = [
    ['camera_offline', 'camera offline in business hours', (v: FieldValues) => negate(flagField(v, 'online'))],
    ['camera_not_streaming', 'camera online but not streaming in business hours', (v: FieldValues) => (flagField(v, 'online') === false ? undefined : negate(flagField(v, 'streaming')))],
  ] as const;
  for (const [id, what, test] of gated) {
    if (!c[id].enabled) continue;
    rules.push(new FlagRule({ id, severity: c[id].severity, delayMs: c[id].graceMin * MINUTE_MS, what, test, counts: open, detail: hoursDetail }));
  }
  for (const [id, field, what] of [
    ['camera_lens_occluded', 'lensOccluded', 'lens covered or blacked out'],
    ['camera_lens_moved', 'lensMoved', 'camera view moved'],
  ] as const) {
    if (!c[id].enabled) continue;
    rules.push(new FlagRule({ id, severity: c[id].severity, delayMs: c[id].delayMin * MINUTE_MS, what, test: (v) => flagField(v, field) }));
  }
  const storage = c.camera_storage_low;
  if (storage.enabled) {
    rules.push(
      new ThresholdRule({
        id: 'camera_storage_low',
        field: 'storageFreePct',
        label: 'NVR storage free',
        unit: '%',
        direction: 'below',
        limit: storage.belowPct.value,
        deadband: storage.deadbandPct,
        delayMs: 0,
        severity: storage.severity,
        detail: { source: storage.belowPct.source },
      }),
    );
  }
  return rules;
}
