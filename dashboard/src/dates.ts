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

const dayParts = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of `ts` in `timeZone`, as the epoch ms of that date's UTC midnight (comparable across dates). */
function calendarDay(ts: number, timeZone: string): number {
  const zone = timeZone || DEFAULT_TIMEZONE;
  let f = dayParts.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'numeric', day: 'numeric', timeZone: zone });
    } catch {
      // A zone this browser does not know: the default zone, as for the other formats.
      f = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'numeric', day: 'numeric', timeZone: DEFAULT_TIMEZONE });
    }
    dayParts.set(zone, f);
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(f.formatToParts(ts).find((p) => p.type === type)?.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'));
}

/**
 * Calendar days from `from` to `to` in the site's zone: 0 for the same date ("today"),
 * 1 for yesterday. Not elapsed 24-hour periods on the phone's clock: a pump-out at
 * 23:30 seen at 00:30 was yesterday, and a phone elsewhere sees the site's dates.
 */
export function calendarDaysBetween(from: number, to: number, timeZone: string): number {
  return Math.round((calendarDay(to, timeZone) - calendarDay(from, timeZone)) / 86_400_000);
}

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
