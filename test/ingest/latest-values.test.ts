import { describe, expect, it } from 'vitest';
import { LatestValues } from '../../ingest/latest-values.js';
import type { TelemetryRecord } from '../../store/index.js';

const T0 = Date.UTC(2024, 5, 1);
const record = (deviceId: string, ts: number, seq: number, temperatureC: number): TelemetryRecord => ({
  deviceId,
  kind: 'temperature',
  ts,
  seq,
  boot: 'b',
  receivedAt: T0 + 999_999,
  values: { temperatureC },
});

describe('LatestValues', () => {
  it('keeps the newest reading by device time: a late, older reading does not replace it', () => {
    const latest = new LatestValues();
    expect(latest.offer(record('f1', T0 + 60_000, 10, 5))).toBe(true);
    expect(latest.offer(record('f1', T0 + 30_000, 9, 2))).toBe(false);
    expect(latest.get('f1')?.values).toEqual({ temperatureC: 5 });
    expect(latest.offer(record('f1', T0 + 90_000, 11, 7))).toBe(true);
    expect(latest.get('f1')?.values).toEqual({ temperatureC: 7 });
  });

  it('breaks a tie on device time by seq, and ignores an exact resend', () => {
    const latest = new LatestValues();
    latest.offer(record('f1', T0, 1, 1));
    expect(latest.offer(record('f1', T0, 2, 2))).toBe(true);
    expect(latest.offer(record('f1', T0, 2, 3))).toBe(false);
    expect(latest.offer(record('f1', T0, 1, 4))).toBe(false);
    expect(latest.get('f1')?.values).toEqual({ temperatureC: 2 });
  });

  it('gives back the whole newest reading: times, seq, boot and values', () => {
    const latest = new LatestValues();
    latest.offer(record('f1', T0, 7, 3.5));
    expect(latest.get('f1')).toEqual(record('f1', T0, 7, 3.5));
    // A device that restarted: a new boot, its seq from 0, a later device time.
    const rebooted = { ...record('f1', T0 + 5_000, 0, 4.25), boot: 'b2', receivedAt: T0 + 5_100 };
    expect(latest.offer(rebooted)).toBe(true);
    expect(latest.get('f1')).toEqual(rebooted);
  });

  it('keeps devices apart', () => {
    const latest = new LatestValues();
    latest.offer(record('f1', T0 + 10, 1, 1));
    latest.offer(record('f2', T0, 1, 2));
    expect(latest.get('f1')?.values.temperatureC).toBe(1);
    expect(latest.get('f2')?.values.temperatureC).toBe(2);
    expect(latest.get('f3')).toBeUndefined();
  });
});
