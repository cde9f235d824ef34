import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';

/**
 * Paces background work done in slices (the alert engine's ticks and state
 * saves, the folds of staged readings) so that, while it runs, it takes at most `share` of the event loop:
 * between two slices it waits long enough for the slice just done to be that
 * share of the time. Yielding with setImmediate alone let slices run back to
 * back whenever the loop had little else ready, and at 10,000 readings/s a save
 * of 2,000 devices' state (8 slices of 8-14 ms) held every PUBACK behind it:
 * publish -> PUBACK p99 was 45-128 ms with the periodic work on and 21-27 ms
 * with it off (bench/README.md, twelfth pass).
 */
export class LoopShare {
  private sliceStart = performance.now();

  constructor(private readonly share: number) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`share must be in (0, 1], got ${share}`);
  }

  /**
   * Between two slices: gives the loop back for as long as the share asks, or
   * `atLeastMs` if that is longer (work that paces itself to a deadline as well),
   * then times the next slice. Once `cut` settles, the wait for `atLeastMs`
   * ends; the share's own still holds.
   */
  async pause(atLeastMs = 0, cut?: Promise<void>): Promise<void> {
    const pausedAt = performance.now();
    const shareRest = (pausedAt - this.sliceStart) * (1 / this.share - 1);
    const rest = Math.max(shareRest, atLeastMs);
    // Timers have millisecond resolution: below that, one turn of the loop.
    if (rest < 1) await yieldToEventLoop();
    else if (!cut || rest <= shareRest) await sleep(rest);
    else {
      // The timer is cancelled when `cut` wins, so it never holds the process open.
      const cancel = new AbortController();
      await Promise.race([sleep(rest, undefined, { signal: cancel.signal }).catch(() => undefined), cut]);
      cancel.abort();
      const left = pausedAt + shareRest - performance.now();
      if (left >= 1) await sleep(left);
    }
    this.sliceStart = performance.now();
  }
}
