import { afterEach, describe, expect, it } from 'vitest';
import type { LiveReading } from '../../contracts/index.js';
import { ReadingThrottle } from '../../api/live.js';

const reading = (deviceId: string, seq: number): LiveReading => ({ deviceId, siteId: 's', kind: 'temperature', ts: 1_000 + seq, seq, values: { temperatureC: seq } });

let throttle: ReadingThrottle | undefined;
afterEach(() => throttle?.stop());

describe('live reading throttle', () => {
  it('sends the first reading at once, holds later ones, and sends only the newest when the window ends', () => {
    let now = 0;
    const sent: string[] = [];
    throttle = new ReadingThrottle(1_000, (r) => sent.push(`${r.deviceId}#${r.seq}`), () => now);
    throttle.offer(reading('a', 1));
    throttle.offer(reading('a', 2));
    throttle.offer(reading('a', 3));
    throttle.offer(reading('b', 1));
    expect(sent).toEqual(['a#1', 'b#1']);
    now = 500;
    throttle.flush();
    expect(sent).toEqual(['a#1', 'b#1']);
    now = 1_000;
    throttle.flush();
    expect(sent).toEqual(['a#1', 'b#1', 'a#3']);
    // Nothing pending: nothing more is sent.
    now = 5_000;
    throttle.flush();
    expect(sent).toHaveLength(3);
  });

  it('keeps the newest by device time when a late buffered reading arrives during the window', () => {
    let now = 0;
    const sent: number[] = [];
    throttle = new ReadingThrottle(1_000, (r) => sent.push(r.seq), () => now);
    throttle.offer(reading('a', 5));
    throttle.offer(reading('a', 9));
    throttle.offer(reading('a', 7));
    now = 1_000;
    throttle.flush();
    expect(sent).toEqual([5, 9]);
  });
});
