/**
 * The calendar day around `now` in an IANA time zone, as UTC epoch ms
 * [start, end). Found from the zone's offset at the guessed local midnight and
 * checked once more, so a day that starts or ends with a daylight-saving change
 * (23 or 25 hours long) is still exact. China has no DST; other zones may.
 */
export function calendarDay(now: number, timeZone: string): { start: number; end: number } {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const local = (ms: number) => {
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    return parts as { year: number; month: number; day: number; hour: number; minute: number; second: number };
  };
  /** Local wall-clock time read as if it were UTC, minus the instant: the zone's offset at `ms`. */
  const offsetAt = (ms: number) => {
    const l = local(ms);
    return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - Math.floor(ms / 1000) * 1000;
  };
  const midnight = (year: number, month: number, day: number) => {
    const wall = Date.UTC(year, month - 1, day);
    let guess = wall - offsetAt(wall);
    guess = wall - offsetAt(guess);
    return guess;
  };
  const today = local(now);
  return { start: midnight(today.year, today.month, today.day), end: midnight(today.year, today.month, today.day + 1) };
}
