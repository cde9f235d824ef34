import { WEEKDAYS, type OpeningWindow, type RuleSettings, type Weekday } from '../rules/index.js';

/** Local wall-clock time of an instant in an IANA zone. */
export interface LocalTime {
  weekday: Weekday;
  /** Minutes since local midnight, 0–1439. */
  minutes: number;
}

/** One formatter per zone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown zone: a site with a broken timezone is a configuration error.
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The weekday and minute of day at `t` (epoch ms) in `timeZone`, daylight saving included. */
export function localTime(t: number, timeZone: string): LocalTime {
  let weekday: Weekday = 'sun';
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timeZone).formatToParts(t)) {
    if (part.type === 'weekday') weekday = part.value.slice(0, 3).toLowerCase() as Weekday;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { weekday, minutes: hour * 60 + minute };
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

type Hours = RuleSettings['businessHours'];

function windowOf(hours: Hours, day: Weekday): OpeningWindow | null {
  const special = hours.weekdays[day];
  return special === undefined ? hours.daily : special;
}

/**
 * Whether a kitchen is open at `t`. A day's window runs from `open` to `close`;
 * a `close` at or before `open` runs past midnight into the next day (a late-night
 * kitchen open 17:00–02:00), and that tail belongs to the day it opened.
 */
export function isOpen(hours: Hours, timeZone: string, t: number): boolean {
  const { weekday, minutes } = localTime(t, timeZone);
  const today = windowOf(hours, weekday);
  if (today) {
    const open = toMinutes(today.open);
    const close = toMinutes(today.close);
    if (close > open ? minutes >= open && minutes < close : minutes >= open) return true;
  }
  const yesterday = windowOf(hours, WEEKDAYS[(WEEKDAYS.indexOf(weekday) + 6) % 7] as Weekday);
  if (yesterday) {
    const open = toMinutes(yesterday.open);
    const close = toMinutes(yesterday.close);
    if (close <= open && minutes < close) return true;
  }
  return false;
}

/** A check bound to one site, validating the zone once. */
export function businessHours(hours: Hours, timeZone: string): (t: number) => boolean {
  formatter(timeZone);
  return (t) => isOpen(hours, timeZone, t);
}
