import { describe, expect, it } from 'vitest';
import { deviceSeed, hashSeed, Random } from '../../simulators/random.js';

const draw = (rng: Random, n: number) => Array.from({ length: n }, () => rng.next());

describe('Random', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    expect(draw(new Random(7), 50)).toEqual(draw(new Random(7), 50));
    expect(draw(new Random(7), 50)).not.toEqual(draw(new Random(8), 50));
  });

  it('stays in range and covers it', () => {
    const rng = new Random(3);
    const values = draw(rng, 10_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const ints = new Set(Array.from({ length: 2_000 }, () => rng.int(1, 6)));
    expect([...ints].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('draws normals with about the asked mean and spread', () => {
    const rng = new Random(11);
    const xs = Array.from({ length: 20_000 }, () => rng.normal(10, 2));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeGreaterThan(1.9);
    expect(sd).toBeLessThan(2.1);
  });

  it('gives each device of a fleet its own stable seed', () => {
    expect(deviceSeed(1, 'a-fridge')).toBe(deviceSeed(1, 'a-fridge'));
    expect(deviceSeed(1, 'a-fridge')).not.toBe(deviceSeed(1, 'b-fridge'));
    expect(deviceSeed(1, 'a-fridge')).not.toBe(deviceSeed(2, 'a-fridge'));
    // Parts are separated: ('ab','c') is not ('a','bc').
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'));
  });
});
