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

  it('waits atLeastMs when that is longer than the share asks', async () => {
    const pacer = new LoopShare(0.5);
    busy(2);
    const from = performance.now();
    await pacer.pause(50);
    // Timers may fire a millisecond early.
    expect(performance.now() - from).toBeGreaterThanOrEqual(49);
  });

  it('stops waiting for atLeastMs once `cut` settles, but still gives the share its rest', async () => {
    const pacer = new LoopShare(0.5);
    busy(5);
    let cut!: () => void;
    const cutting = new Promise<void>((resolve) => (cut = resolve));
    setTimeout(cut, 40);
    const from = performance.now();
    // A pause that ignored the cut would outlast the test's timeout.
    await pacer.pause(600_000, cutting);
    expect(performance.now() - from).toBeGreaterThanOrEqual(39);

    // Cut before the pause: the share's own rest (20 ms of work at a quarter: 60 ms) still holds.
    const quarter = new LoopShare(0.25);
    busy(20);
    const again = performance.now();
    await quarter.pause(600_000, Promise.resolve());
    expect(performance.now() - again).toBeGreaterThanOrEqual(59);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => new LoopShare(0)).toThrow(RangeError);
    expect(() => new LoopShare(1.5)).toThrow(RangeError);
  });
});
