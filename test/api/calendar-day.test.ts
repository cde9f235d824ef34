import { describe, expect, it } from 'vitest';
import { calendarDay } from '../../api/overview/calendar-day.js';

const HOUR = 3_600_000;

describe('calendarDay', () => {
  it('is the day in the zone, not in UTC', () => {
    // 2026-01-15 20:00 UTC is already the 16th in Shanghai (UTC+8).
    expect(calendarDay(Date.UTC(2026, 0, 15, 20), 'Asia/Shanghai')).toEqual({ start: Date.UTC(2026, 0, 15, 16), end: Date.UTC(2026, 0, 16, 16) });
    expect(calendarDay(Date.UTC(2026, 0, 15, 20), 'UTC')).toEqual({ start: Date.UTC(2026, 0, 15), end: Date.UTC(2026, 0, 16) });
  });

  it('starts exactly at local midnight', () => {
    const day = calendarDay(Date.UTC(2026, 5, 1, 3), 'Asia/Shanghai');
    expect(calendarDay(day.start, 'Asia/Shanghai')).toEqual(day);
    expect(calendarDay(day.start - 1, 'Asia/Shanghai').end).toBe(day.start);
  });

  it('has 23 and 25 hours on the days daylight saving time starts and ends', () => {
    // New York: clocks go forward on 2026-03-08 and back on 2026-11-01.
    const spring = calendarDay(Date.UTC(2026, 2, 8, 17), 'America/New_York');
    expect(spring).toEqual({ start: Date.UTC(2026, 2, 8, 5), end: Date.UTC(2026, 2, 9, 4) });
    expect(spring.end - spring.start).toBe(23 * HOUR);
    const autumn = calendarDay(Date.UTC(2026, 10, 1, 17), 'America/New_York');
    expect(autumn.end - autumn.start).toBe(25 * HOUR);
  });
});
