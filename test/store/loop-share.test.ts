import { describe, expect, it } from 'vitest';
import { LoopShare } from '../../store/loop-share.js';

/** Busy for `ms` of wall time, as a slice of background work is. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('LoopShare', () => {
  it('after a slice, gives the loop back for long enough that the slice was its share of the time', async () => {
    const pacer = new LoopShare(0.25);
    busy(10);
    let turns = 0;
    const other = setInterval(() => turns++, 1);
    const from = performance.now();
    await pacer.pause();
    const waited = performance.now() - from;
    clearInterval(other);
    // 10 ms of work at a quarter of the loop: at least 30 ms for the rest, and the rest did run.
    expect(waited).toBeGreaterThanOrEqual(29);
    expect(turns).toBeGreaterThan(0);
  });

  it('with the whole loop (share 1) only yields one turn, so queued callbacks still run', async () => {
    const pacer = new LoopShare(1);
    busy(5);
    let ran = false;
    setImmediate(() => (ran = true));
    await pacer.pause();
    expect(ran).toBe(true);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => new LoopShare(0)).toThrow(RangeError);
    expect(() => new LoopShare(1.5)).toThrow(RangeError);
  });
});
