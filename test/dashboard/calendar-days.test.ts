import { describe, expect, it } from 'vitest';
import { calendarDaysBetween } from '../../dashboard/src/calendar-days.js';

// "Today" / "3 days ago" on the public page and the grease-trap card: calendar dates in the site's zone.
describe('days between two moments, as a kitchen counts them', () => {
  const shanghai = (day: number, hour: number, minute = 0) => Date.UTC(2026, 2, day, hour - 8, minute);

  it('calls a pump-out at 23:30 yesterday "1 day ago" at 00:30, though not 24 hours passed', () => {
    expect(calendarDaysBetween(shanghai(14, 23, 30), shanghai(15, 0, 30), 'Asia/Shanghai')).toBe(1);
  });

  it('calls 00:10 to 23:50 of one date "today", though almost 24 hours passed', () => {
    expect(calendarDaysBetween(shanghai(15, 0, 10), shanghai(15, 23, 50), 'Asia/Shanghai')).toBe(0);
  });

  it('counts the site’s dates, not the phone’s: the same two moments are one date apart in Shanghai and none in London', () => {
    const pumped = shanghai(14, 22);
    const seen = shanghai(15, 2);
    expect(calendarDaysBetween(pumped, seen, 'Asia/Shanghai')).toBe(1);
    expect(calendarDaysBetween(pumped, seen, 'Europe/London')).toBe(0);
  });

  it('counts forward for a forecast, across a month end', () => {
    expect(calendarDaysBetween(shanghai(30, 20), Date.UTC(2026, 3, 2, 1), 'Asia/Shanghai')).toBe(3);
  });
});
