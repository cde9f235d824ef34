import type { DeviceKind } from './ids.js';
import { epochMs, flag, num, type FieldCatalogue } from './fields.js';

/**
 * What each device kind reports (see shared/domain.md, "Device kinds").
 * Ranges are physical plausibility, not alarm thresholds: alarm limits are
 * rules, configurable per device (alert engine).
 */
const radio = {
  batteryPct: num(0, 100, '%', 'battery charge'),
  rssiDbm: num(-140, 0, 'dBm', 'radio signal strength'),
};

export const TEMPERATURE_FIELDS: FieldCatalogue = {
  // A blast freezer reaches −60 °C, a hot-holding cabinet ~90 °C; beyond −90/150 is a broken probe.
  temperatureC: num(-90, 150, '°C', 'air or product temperature', true),
  humidityPct: num(0, 100, '%', 'relative humidity'),
  doorOpen: flag('door open'),
  ...radio,
};

export const OIL_SEPARATOR_FIELDS: FieldCatalogue = {
  greaseMm: num(0, 3000, 'mm', 'grease layer thickness', true),
  // Grease + solids as a share of liquid depth; pump-out is due at 25% (domain.md).
  fillPct: num(0, 100, '%', 'grease and solids as % of liquid depth', true),
  liquidLevelMm: num(0, 5000, 'mm', 'liquid level'),
  waterTempC: num(-10, 100, '°C', 'water temperature'),
  effluentOilMgL: num(0, 100_000, 'mg/L', 'oil in effluent (GB/T 31962-2015 limit 100 mg/L)'),
  pumpOn: flag('pump running'),
  heaterOn: flag('heater on'),
  overflow: flag('overflow switch tripped'),
  lastPumpOutTs: epochMs('time of the last pump-out (device clock)'),
  ...radio,
};

export const CAMERA_FIELDS: FieldCatalogue = {
  online: flag('camera reachable by its NVR/gateway', true),
  streaming: flag('stream published to the platform', true),
  fps: num(0, 240, 'fps', 'frames per second'),
  bitrateKbps: num(0, 200_000, 'kbit/s', 'stream bitrate'),
  recording: flag('recording to the NVR'),
  storageFreePct: num(0, 100, '%', 'NVR storage free'),
  lensOccluded: flag('lens covered or blacked out'),
  lensMoved: flag('view moved from its reference position'),
};

export const FIELDS_BY_KIND: Readonly<Record<DeviceKind, FieldCatalogue>> = {
  temperature: TEMPERATURE_FIELDS,
  oil_separator: OIL_SEPARATOR_FIELDS,
  camera: CAMERA_FIELDS,
};

export function fieldNames(kind: DeviceKind): string[] {
  return Object.keys(FIELDS_BY_KIND[kind]);
}
