import type { Alert, AlertListQuery } from '../../../contracts/alerts.js';
import type { HistoryResponse, QuarantineEntryView } from '../../../contracts/api.js';
import type { Device, DeviceProfile, Site } from '../../../contracts/registry.js';
import type { RuleSettings } from '../../../contracts/rule-settings.js';
import type { ApiClient, DeviceWithLatest } from '../api.js';
import type { Band } from '../charts/chart-data.js';

/**
 * The REST calls of the site, device and provisioning views, typed once.
 * Every path is built here, with each id encoded.
 */

const e = encodeURIComponent;

export type AlertFilter = Partial<Omit<AlertListQuery, 'limit'>> & { limit?: number };

export const site = (api: ApiClient, id: string) => api.get<Site>(`/sites/${e(id)}`);
export const device = (api: ApiClient, id: string) => api.get<DeviceWithLatest>(`/devices/${e(id)}`);

/** One field over `[from, to)`, downsampled by the server to at most `points` buckets. */
export const history = (api: ApiClient, id: string, field: string, from: number, to: number, points: number) =>
  api.get<HistoryResponse>(`/devices/${e(id)}/history`, { field, from: Math.floor(from), to: Math.ceil(to), points });

export const rules = (api: ApiClient, id: string) => api.get<{ effective: RuleSettings }>(`/devices/${e(id)}/rules`);

/** What the device's rules know now; for a grease trap `fillRatePctPerDay` and `forecastFullAt`. */
export const insights = (api: ApiClient, id: string) =>
  api.get<{ deviceId: string; insights: Record<string, number | string | boolean | null> }>(`/devices/${e(id)}/insights`);

export const alerts = (api: ApiClient, filter: AlertFilter) => api.get<Alert[]>('/alerts', filter);
export const quarantine = (api: ApiClient, deviceId: string, limit = 50) => api.get<QuarantineEntryView[]>('/quarantine', { deviceId, limit });

export const confirmFinding = (api: ApiClient, alertId: number) => api.post<Alert>(`/alerts/${alertId}/confirm`);
export const dismissFinding = (api: ApiClient, alertId: number, reason: string) => api.post<Alert>(`/alerts/${alertId}/dismiss`, { reason });

export interface NewDevice {
  id: string;
  siteId: string;
  kind: Device['kind'];
  label: string;
  profile: DeviceProfile;
  expectedIntervalS: number;
}
export const createDevice = (api: ApiClient, body: NewDevice) => api.post<{ device: Device; secret: string }>('/devices', body);
export const rotateSecret = (api: ApiClient, id: string) => api.post<{ deviceId: string; secret: string }>(`/devices/${e(id)}/secret`);
export const revokeDevice = (api: ApiClient, id: string) => api.post<Device>(`/devices/${e(id)}/revoke`);

/** The band a temperature device is judged against, from its effective rules; null for a profile without limits. */
export function temperatureBand(settings: RuleSettings, profile: DeviceProfile): Band | null {
  if (profile !== 'chilled' && profile !== 'frozen' && profile !== 'hot_holding' && profile !== 'ambient') return null;
  const limits = settings.temperature[profile];
  const band = { min: limits.minC?.value ?? null, max: limits.maxC?.value ?? null };
  return band.min === null && band.max === null ? null : band;
}

/** The band a field is judged against by the device's rules (temperature limits, pump-out line, effluent limit, battery and storage floors). */
export function fieldBand(settings: RuleSettings, profile: DeviceProfile, field: string): Band | null {
  switch (field) {
    case 'temperatureC':
      return temperatureBand(settings, profile);
    case 'fillPct':
      return { min: null, max: settings.oil_fill_high.pumpOutAtPct.value };
    case 'effluentOilMgL':
      return { min: null, max: settings.oil_effluent_high.maxMgL.value };
    case 'batteryPct':
      return { min: settings.battery_low.belowPct.value, max: null };
    case 'storageFreePct':
      return { min: settings.camera_storage_low.belowPct.value, max: null };
    default:
      return null;
  }
}
