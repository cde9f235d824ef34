import { DEFAULT_TIMEZONE } from './format.js';
import { getLocale } from './i18n.js';

/**
 * Dates and clock times in a site's time zone (stored UTC, shown local), for
 * the charts, the grease-trap card and the public page (date and time together:
 * `formatDateTime` in format.ts). Formatters are cached per locale, zone and style.
 */

type Style = 'date' | 'clock' | 'dayOfMonth';

const STYLES: Readonly<Record<Style, Intl.DateTimeFormatOptions>> = {
  /** 2026年3月14日 / 03/14/2026 */
  date: { year: 'numeric', month: '2-digit', day: '2-digit' },
  /** 09:30 */
  clock: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  /** 3/14 (axis labels at midnight) */
  dayOfMonth: { month: 'numeric', day: 'numeric' },
};

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(style: Style, timeZone: string): Intl.DateTimeFormat {
  const key = `${getLocale()}|${style}|${timeZone}`;
  let f = cache.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(getLocale(), { ...STYLES[style], timeZone: timeZone || DEFAULT_TIMEZONE });
    } catch {
      // RangeError for a zone this browser does not know: the default zone rather than nothing.
      f = new Intl.DateTimeFormat(getLocale(), { ...STYLES[style], timeZone: DEFAULT_TIMEZONE });
    }
    cache.set(key, f);
  }
  return f;
}

export const formatDate = (ts: number, timeZone: string): string => formatter('date', timeZone).format(ts);

/** Axis labels: the day at local midnight, else the 24-hour clock. */
export function formatAxisTime(ts: number, timeZone: string): string {
  const clock = formatter('clock', timeZone).format(ts);
  return clock === '00:00' ? formatter('dayOfMonth', timeZone).format(ts) : clock;
}

/** A `<time>` element with the ISO instant and the local text. */
export function timeElement(ts: number, text: string): HTMLTimeElement {
  const el = document.createElement('time');
  el.dateTime = new Date(ts).toISOString();
  el.textContent = text;
  return el;
}
