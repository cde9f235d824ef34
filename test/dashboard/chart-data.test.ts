import { describe, expect, it } from 'vitest';
import { excursions, foldReading, toColumns, type HistoryPoint } from '../../dashboard/src/charts/chart-data.js';

const MIN = 60_000;
const bucket = (t: number, min: number, max: number, mean = (min + max) / 2, count = 2): HistoryPoint => ({ t, min, max, mean, count });

describe('chart columns', () => {
  it('gives uPlot seconds and mean/min/max columns, breaking the line where readings stopped', () => {
    const points = [bucket(0, 3, 5), bucket(10 * MIN, 4, 6), bucket(60 * MIN, 2, 4)];
    const [xs, mean, min, max] = toColumns(points, 30 * MIN);
    // A null row after the second bucket: 50 minutes without readings is an outage, not a straight line.
    expect(xs).toEqual([0, 600, 2400, 3600]);
    expect(mean).toEqual([4, 5, null, 3]);
    expect(min).toEqual([3, 4, null, 2]);
    expect(max).toEqual([5, 6, null, 4]);
  });
});

describe('excursions', () => {
  it('are the buckets whose readings left the band, neighbours merged, either side', () => {
    const points = [bucket(0, 3, 5), bucket(10 * MIN, 6, 9), bucket(20 * MIN, 7, 12), bucket(30 * MIN, 3, 6), bucket(50 * MIN, -1, 2)];
    expect(excursions(points, 10 * MIN, { min: 0, max: 8 })).toEqual([
      { from: 10 * MIN, to: 30 * MIN },
      { from: 50 * MIN, to: 60 * MIN },
    ]);
  });

  it('respect a one-sided band (frozen: only a maximum)', () => {
    const points = [bucket(0, -25, -19), bucket(10 * MIN, -20, -11)];
    expect(excursions(points, 10 * MIN, { min: null, max: -12 })).toEqual([{ from: 10 * MIN, to: 20 * MIN }]);
    expect(excursions(points, 10 * MIN, { min: null, max: null })).toEqual([]);
  });
});

describe('folding a live reading into the buckets', () => {
  it('updates the open bucket and starts a new one aligned to the bucket grid', () => {
    const points = [bucket(0, 4, 4, 4, 1)];
    foldReading(points, 10 * MIN, 5 * MIN, 10);
    expect(points).toEqual([{ t: 0, min: 4, max: 10, mean: 7, count: 2 }]);
    foldReading(points, 10 * MIN, 25 * MIN, 3);
    expect(points.at(-1)).toEqual({ t: 20 * MIN, min: 3, max: 3, mean: 3, count: 1 });
    // An older reading than the newest bucket is left for the next refetch.
    foldReading(points, 10 * MIN, 1 * MIN, 99);
    expect(points.map((p) => p.max)).toEqual([10, 3]);
  });
});
