import { hashSeed } from '../contracts/hash.js';

/**
 * A small seeded PRNG (sfc32), so a simulated fleet is reproducible: the same
 * seed gives the same readings, run after run, on every machine. `Math.random`
 * is never used in the simulators.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // Spread one 32-bit seed over the four words, then discard the first outputs:
    // sfc32 needs a few rounds before nearby seeds stop giving nearby streams.
    const s = seed >>> 0;
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = s;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4_294_967_296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Normally distributed (Box–Muller). */
  normal(mean = 0, sd = 1): number {
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p (p outside [0, 1] is clamped by the comparison). */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /**
   * An independent stream for one purpose (e.g. "findings"), so that drawing more
   * numbers for one purpose does not shift every other purpose's numbers.
   */
  fork(label: string): Random {
    return new Random(hashSeed(this.nextUint32(), label));
  }
}

export { hashSeed };

/** The seed of one device in a fleet: stable for a (fleet seed, device id) pair. */
export function deviceSeed(fleetSeed: number, deviceId: string): number {
  return hashSeed(fleetSeed, deviceId);
}
