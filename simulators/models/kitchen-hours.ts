/**
 * When a kitchen is busy. Door openings, grease and camera findings all follow
 * service hours, which are local time: 11:00–14:00 and 17:00–21:00 in Asia/Shanghai
 * (UTC+8 all year, no daylight saving), so a fixed offset is exact there.
 */
export const SHANGHAI_UTC_OFFSET_MIN = 480;

/** Local hour of day as a fraction, 0 ≤ h < 24. */
export function localHour(t: number, utcOffsetMin = SHANGHAI_UTC_OFFSET_MIN): number {
  const ms = t + utcOffsetMin * 60_000;
  return (((ms % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000;
}

export function isServiceHour(t: number, utcOffsetMin = SHANGHAI_UTC_OFFSET_MIN): boolean {
  const h = localHour(t, utcOffsetMin);
  return (h >= 11 && h < 14) || (h >= 17 && h < 21);
}

/**
 * How busy the kitchen is, 0..1: 1 in service, 0.3 during preparation and
 * cleaning (07:00–22:00 outside service), 0 at night when the kitchen is closed.
 */
export function kitchenActivity(t: number, utcOffsetMin = SHANGHAI_UTC_OFFSET_MIN): number {
  if (isServiceHour(t, utcOffsetMin)) return 1;
  const h = localHour(t, utcOffsetMin);
  return h >= 7 && h < 22 ? 0.3 : 0;
}
