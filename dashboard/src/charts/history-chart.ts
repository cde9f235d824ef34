import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom.js';
import { formatDateTime } from '../format.js';
import { formatAxisTime } from '../dates.js';
import { excursions, foldReading, toColumns, type Band, type HistoryPoint } from './chart-data.js';

export interface HistoryChartOptions {
  height: number;
  /** The site's zone: axis labels and the legend show its clock. */
  timezone: string;
  /** Formats a value for the legend ("4.2 °C"). */
  formatValue(value: number): string;
  /** Series names in the legend. */
  labels: { time: string; mean: string; min: string; max: string };
  /** What the canvas says to a screen reader. */
  description: string;
  /** Drag across the chart to pick a range; called with epoch ms. Without it, dragging does nothing. */
  onRange?: (from: number, to: number) => void;
}

/** The history the chart shows: buckets from `GET /devices/{id}/history`. */
export interface ChartHistory {
  from: number;
  to: number;
  bucketMs: number;
  points: HistoryPoint[];
}

const COLORS = {
  mean: '#1f5fa8',
  range: 'rgba(31, 95, 168, 0.18)',
  band: 'rgba(46, 160, 67, 0.12)',
  bandEdge: 'rgba(46, 160, 67, 0.7)',
  excursion: 'rgba(214, 69, 65, 0.22)',
};

/** A break in the line only after this many buckets, and at least MIN_GAP_MS, without a reading: zoomed in, buckets are shorter than the reporting interval. */
const GAP_BUCKETS = 3;
const MIN_GAP_MS = 15 * 60_000;

/**
 * A time-series chart of one device field (uPlot, canvas): the mean line, the
 * min–max range of each bucket, the acceptable band shaded green and the
 * excursions out of it shaded red. A week of readings arrives downsampled by the
 * API, so the chart draws a few hundred buckets, never the raw readings.
 *
 * DOM hooks: the wrapper has `data-chart`, `data-from`, `data-to`, `data-bucket-ms`,
 * `data-points`, `data-excursions` and, with a band, `data-band-min`/`data-band-max`.
 */
export class HistoryChart {
  readonly element: HTMLDivElement;
  private plot: uPlot | undefined;
  private history: ChartHistory = { from: 0, to: 0, bucketMs: 1, points: [] };
  private band: Band | null = null;
  private ranges: Array<{ from: number; to: number }> = [];
  private readonly resize: ResizeObserver;

  constructor(private readonly options: HistoryChartOptions) {
    this.element = h('div', 'chart');
    this.element.dataset.chart = '';
    this.element.setAttribute('role', 'img');
    this.element.setAttribute('aria-label', options.description);
    this.element.style.minHeight = `${options.height}px`;
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.element);
  }

  /** How many periods outside the band the chart shades. */
  get excursionCount(): number {
    return this.ranges.length;
  }

  /** The acceptable band (from the device's effective rules); null draws none. */
  setBand(band: Band | null): void {
    this.band = band;
    if (band) {
      this.element.dataset.bandMin = band.min === null ? '' : String(band.min);
      this.element.dataset.bandMax = band.max === null ? '' : String(band.max);
    }
    this.update();
  }

  setHistory(history: ChartHistory): void {
    this.history = { ...history, points: [...history.points] };
    this.update();
  }

  /** A live reading: folded into the newest bucket, or a new one. */
  addReading(ts: number, value: number): void {
    if (ts < this.history.from) return;
    foldReading(this.history.points, this.history.bucketMs, ts, value);
    this.history.to = Math.max(this.history.to, ts);
    this.update();
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private update(): void {
    const { points, bucketMs, from, to } = this.history;
    this.ranges = this.band ? excursions(points, bucketMs, this.band) : [];
    const el = this.element;
    el.dataset.from = String(from);
    el.dataset.to = String(to);
    el.dataset.bucketMs = String(bucketMs);
    el.dataset.points = String(points.length);
    el.dataset.excursions = String(this.ranges.length);
    const data = toColumns(points, Math.max(GAP_BUCKETS * bucketMs, MIN_GAP_MS));
    if (!this.plot) {
      // Created on the first data, once the element is laid out and has a width.
      if (!el.isConnected) return;
      this.plot = new uPlot(this.plotOptions(), data, el);
      return;
    }
    this.plot.setData(data);
  }

  private fit(): void {
    if (!this.plot) return this.update();
    const width = Math.floor(this.element.clientWidth);
    if (width > 0 && width !== this.plot.width) this.plot.setSize({ width, height: this.options.height });
  }

  private plotOptions(): uPlot.Options {
    const { options } = this;
    const tz = options.timezone;
    const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : options.formatValue(v));
    return {
      width: Math.max(200, Math.floor(this.element.clientWidth)),
      height: options.height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
      scales: {
        x: { time: true, range: () => [this.history.from / 1000, this.history.to / 1000] },
        y: { range: (_u, min, max) => this.yRange(min, max) },
      },
      series: [
        { label: options.labels.time, value: (_u, ts) => (ts === null ? '—' : formatDateTime(ts * 1000, tz)) },
        { label: options.labels.mean, stroke: COLORS.mean, width: 1.5, value },
        { label: options.labels.min, stroke: COLORS.range, width: 1, value },
        { label: options.labels.max, stroke: COLORS.range, width: 1, value },
      ],
      bands: [{ series: [3, 2], fill: COLORS.range }],
      axes: [
        { values: (_u, splits) => splits.map((s) => formatAxisTime(s * 1000, tz)), space: 70 },
        { values: (_u, splits) => splits.map((s) => String(s)), size: 44 },
      ],
      cursor: options.onRange ? { drag: { x: true, y: false, setScale: false } } : { drag: { x: false, y: false } },
      legend: { live: true },
      hooks: {
        drawClear: [(u) => this.drawShading(u)],
        setSelect: [
          (u) => {
            if (!options.onRange || u.select.width < 2) return;
            const from = Math.round(u.posToVal(u.select.left, 'x') * 1000);
            const to = Math.round(u.posToVal(u.select.left + u.select.width, 'x') * 1000);
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            options.onRange(from, to);
          },
        ],
      },
    };
  }

  /** The y range covers the data and the band's limits, so the band is always in view. */
  private yRange(min: number | null, max: number | null): uPlot.Range.MinMax {
    const values = [min, max, this.band?.min ?? null, this.band?.max ?? null].filter((v): v is number => v !== null && Number.isFinite(v));
    if (!values.length) return [0, 10];
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const pad = Math.max(1, (hi - lo) * 0.08);
    return [Math.floor(lo - pad), Math.ceil(hi + pad)];
  }

  /** Under the lines: the band in green, the excursions in red. */
  private drawShading(u: uPlot): void {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    if (this.band) {
      const top = this.band.max === null ? bbox.top : u.valToPos(this.band.max, 'y', true);
      const bottom = this.band.min === null ? bbox.top + bbox.height : u.valToPos(this.band.min, 'y', true);
      ctx.fillStyle = COLORS.band;
      ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
      ctx.strokeStyle = COLORS.bandEdge;
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1;
      for (const limit of [this.band.min, this.band.max]) {
        if (limit === null) continue;
        const y = Math.round(u.valToPos(limit, 'y', true)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(bbox.left, y);
        ctx.lineTo(bbox.left + bbox.width, y);
        ctx.stroke();
      }
    }
    ctx.fillStyle = COLORS.excursion;
    for (const r of this.ranges) {
      const x0 = u.valToPos(r.from / 1000, 'x', true);
      const x1 = u.valToPos(r.to / 1000, 'x', true);
      ctx.fillRect(x0, bbox.top, Math.max(1, x1 - x0), bbox.height);
    }
    ctx.restore();
  }
}
