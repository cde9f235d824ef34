import { DEFAULT_TIMEZONE } from './format.js';

/** Calendar dates in a site's time zone, with no DOM (the server-side tests import it). */

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
