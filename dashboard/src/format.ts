import type { DeviceProfile } from '../../contracts/registry.js';
import { getLocale, t } from './i18n.js';

/** Shown when a site has no usable timezone. */
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

const numberFormats = new Map<string, Intl.NumberFormat>();

export function formatNumber(value: number, digits: number): string {
  const key = `${getLocale()}|${digits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(getLocale(), { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
    numberFormats.set(key, format);
  }
  return format.format(value);
}

/** "3.4 °C"; the minus sign is the locale's. */
export function formatTemperature(celsius: number): string {
  return `${formatNumber(celsius, 1)} °C`;
}

/** "12 %" */
export function formatPercent(pct: number): string {
  return `${formatNumber(pct, 0)} %`;
}

/** "35" (mm are whole at the precision a grease sensor has). */
export function formatMillimetres(mm: number): string {
  return formatNumber(mm, 0);
}

/** "25 fps" */
export function formatFps(fps: number): string {
  return `${formatNumber(fps, fps < 10 ? 1 : 0)} fps`;
}

/** "87%" for a 0–1 confidence. */
export function formatConfidence(confidence: number): string {
  return `${formatNumber(confidence * 100, 0)}%`;
}

/** "5 秒前": how long ago `ts` was. A device clock slightly ahead shows as "just now". */
export function formatAge(ts: number, now: number): string {
  const seconds = Math.floor((now - ts) / 1000);
  if (seconds < 1) return t('ageNow');
  if (seconds < 60) return t('ageSeconds', { n: seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return t('ageMinutes', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('ageHours', { n: hours });
  return t('ageDays', { n: Math.floor(hours / 24) });
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

function timeFormat(timezone: string, withDate: boolean): Intl.DateTimeFormat {
  const key = `${getLocale()}|${timezone}|${withDate}`;
  let format = timeFormats.get(key);
  if (!format) {
    const options: Intl.DateTimeFormatOptions = {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      ...(withDate ? { month: '2-digit', day: '2-digit' } : {}),
    };
    try {
      format = new Intl.DateTimeFormat(getLocale(), { ...options, timeZone: timezone });
    } catch {
      // RangeError for a zone this browser does not know: show the default zone rather than nothing.
      format = new Intl.DateTimeFormat(getLocale(), { ...options, timeZone: DEFAULT_TIMEZONE });
    }
    timeFormats.set(key, format);
  }
  return format;
}

/** Clock time in the site's zone; the date is added once the reading is more than a day old. */
export function formatTime(ts: number, timezone: string, now: number): string {
  return timeFormat(timezone || DEFAULT_TIMEZONE, now - ts > 20 * 3_600_000).format(ts);
}

/**
 * Provisional display hint: is a value outside a rough band for its profile?
 * These are NOT alarm limits — the alert engine owns those, with delays and
 * hysteresis (domain.md). Bands: chilled 0–8 °C, frozen alarm above −12 °C,
 * hot holding ≥ 60 °C (China), grease trap pump-out due at 25 % fill.
 */
export function temperatureOutOfBand(profile: DeviceProfile, celsius: number): boolean {
  switch (profile) {
    case 'chilled':
      return celsius > 8 || celsius < 0;
    case 'frozen':
      return celsius > -12;
    case 'hot_holding':
      return celsius < 60;
    default:
      return false;
  }
}

export function fillOutOfBand(fillPct: number): boolean {
  return fillPct >= 25;
}

/** "93.7 %" for a 0–1 share; "—" when there is nothing to divide. */
export function formatRate(rate: number | null): string {
  return rate === null ? '—' : `${formatNumber(rate * 100, rate === 1 || rate === 0 ? 0 : 1)} %`;
}

/** "45 秒", "12 分钟", "3.5 小时": a duration at the precision a supervisor reads it; "—" for none. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return t('durationSeconds', { n: seconds });
  const minutes = ms / 60_000;
  if (minutes < 60) return t('durationMinutes', { n: formatNumber(minutes, 0) });
  const hours = minutes / 60;
  if (hours < 48) return t('durationHours', { n: formatNumber(hours, hours < 10 ? 1 : 0) });
  return t('durationDays', { n: formatNumber(hours / 24, 1) });
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** "2026/01/15 09:30" in the site's zone: for alert times, which may be days old. */
export function formatDateTime(ts: number, timezone: string): string {
  const zone = timezone || DEFAULT_TIMEZONE;
  const key = `${getLocale()}|${zone}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    try {
      format = new Intl.DateTimeFormat(getLocale(), { ...options, timeZone: zone });
    } catch {
      // A zone this browser does not know: the default zone rather than nothing.
      format = new Intl.DateTimeFormat(getLocale(), { ...options, timeZone: DEFAULT_TIMEZONE });
    }
    dateTimeFormats.set(key, format);
  }
  return format.format(ts);
}
