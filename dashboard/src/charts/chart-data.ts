import type { HistoryResponse } from '../../../contracts/api.js';

/**
 * Pure helpers that turn the history API's buckets into what the chart draws:
 * uPlot's columns (with breaks at gaps) and the time ranges of excursions.
 * No DOM here, so the logic is tested without a browser (test/dashboard/).
 */

/** One bucket of `GET /devices/{id}/history`: its start `t`, and min/max/mean/count of the readings in it. */
export type HistoryPoint = HistoryResponse['points'][number];

/** The acceptable range of a value; `null` is "no limit on this side". */
export interface Band {
  min: number | null;
  max: number | null;
}

/** uPlot's data: x in seconds, then mean, min and max; `null` breaks the line. */
export type Columns = [number[], Array<number | null>, Array<number | null>, Array<number | null>];

/**
 * Chart columns from buckets (oldest first). Where no reading came for longer
 * than `gapMs`, a row of nulls is put in, so the line breaks there instead of
 * drawing a straight line across an outage.
 */
export function toColumns(points: readonly HistoryPoint[], gapMs: number): Columns {
  const xs: number[] = [];
  const mean: Array<number | null> = [];
  const min: Array<number | null> = [];
  const max: Array<number | null> = [];
  let previous: number | undefined;
  for (const p of points) {
    if (previous !== undefined && p.t - previous > gapMs) {
      xs.push((previous + gapMs) / 1000);
      mean.push(null);
      min.push(null);
      max.push(null);
    }
    xs.push(p.t / 1000);
    mean.push(p.mean);
    min.push(p.min);
    max.push(p.max);
    previous = p.t;
  }
  return [xs, mean, min, max];
}

/** A bucket's readings left the band on either side. */
export function outside(point: Pick<HistoryPoint, 'min' | 'max'>, band: Band): boolean {
  return (band.max !== null && point.max > band.max) || (band.min !== null && point.min < band.min);
}

/**
 * Time ranges, epoch ms `[from, to)`, in which a reading was outside the band:
 * the buckets that left it, neighbouring ones merged. These are what the chart
 * shades; the alert engine decides separately (with delays) what alarms.
 */
export function excursions(points: readonly HistoryPoint[], bucketMs: number, band: Band): Array<{ from: number; to: number }> {
  const ranges: Array<{ from: number; to: number }> = [];
  for (const p of points) {
    if (!outside(p, band)) continue;
    const last = ranges.at(-1);
    if (last && p.t <= last.to) last.to = p.t + bucketMs;
    else ranges.push({ from: p.t, to: p.t + bucketMs });
  }
  return ranges;
}

/**
 * Folds one live reading into the buckets: into the newest bucket while it is
 * still open, else as a new bucket. Keeps a site's week-long chart current
 * between REST reads without refetching.
 */
export function foldReading(points: HistoryPoint[], bucketMs: number, ts: number, value: number): void {
  const last = points.at(-1);
  if (last && ts < last.t) return; // older than what is drawn: the next refetch has it
  if (last && ts < last.t + bucketMs) {
    last.mean = (last.mean * last.count + value) / (last.count + 1);
    last.count += 1;
    last.min = Math.min(last.min, value);
    last.max = Math.max(last.max, value);
    return;
  }
  const start = last ? last.t + Math.floor((ts - last.t) / bucketMs) * bucketMs : ts;
  points.push({ t: start, min: value, max: value, mean: value, count: 1 });
}
