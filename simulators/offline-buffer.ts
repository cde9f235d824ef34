import type { FieldValues } from '../contracts/index.js';

/** One reading as a device buffers it: header and fields, without the boot id. */
export type Reading = { ts: number; seq: number } & FieldValues;

/** A buffered reading remembers its boot: a power cycle must not give it the new boot's id. */
export interface BufferedReading {
  boot: string;
  reading: Reading;
}

/**
 * Readings a device keeps while it cannot reach the broker, bounded: when full,
 * the oldest go first, as the newest tell the most about the kitchen now.
 */
export class OfflineBuffer {
  private readonly items: BufferedReading[] = [];
  /** Readings lost to the bound so far. */
  dropped = 0;

  constructor(
    private readonly maxReadings: number,
    private readonly maxBatchReadings: number,
    private readonly maxBatchBytes: number,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Adds readings at the end, or back at the front after a failed batch, keeping the oldest-first order. */
  add(readings: BufferedReading[], atFront = false): void {
    if (atFront) this.items.unshift(...readings);
    else this.items.push(...readings);
    const excess = this.items.length - this.maxReadings;
    if (excess > 0) {
      this.items.splice(0, excess);
      this.dropped += excess;
    }
  }

  /** Removes and returns the oldest readings of one boot, as many as fit one batch (count and bytes). */
  takeBatch(): BufferedReading[] {
    const boot = this.items[0]?.boot;
    let bytes = 40;
    let n = 0;
    while (n < this.items.length && n < this.maxBatchReadings) {
      const next = this.items[n] as BufferedReading;
      if (next.boot !== boot) break;
      bytes += JSON.stringify(next.reading).length + 1;
      if (n > 0 && bytes > this.maxBatchBytes) break;
      n++;
    }
    return this.items.splice(0, n);
  }
}
