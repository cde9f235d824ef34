import type { LiveReading } from '../../../contracts/events.js';
import { ApiError, type ApiClient, type DeviceWithLatest } from '../api.js';
import type { Band } from '../charts/chart-data.js';
import { HistoryChart } from '../charts/history-chart.js';
import type { DeviceView } from '../device-view.js';
import { h, setText } from '../dom.js';
import { formatTemperature } from '../format.js';
import { cardNote, deviceCard, detailsLink } from './device-card.js';
import { history, rules, temperatureBand } from './queries.js';
import { st } from './site.i18n.js';

const WEEK_MS = 7 * 86_400_000;
/** 20-minute buckets over a week: about one per pixel column of a card's chart. */
const WEEK_POINTS = 504;

/** "报警限值 0.0 °C ~ 8.0 °C", or "无温度限值". */
export function bandText(band: Band | null): string {
  if (!band) return st('bandNone');
  const min = band.min === null ? '' : formatTemperature(band.min);
  const max = band.max === null ? '' : formatTemperature(band.max);
  const range = band.min === null ? st('bandAtMost', { max }) : band.max === null ? st('bandAtLeast', { min }) : st('bandBetween', { min, max });
  return st('bandLabel', { range });
}

/** A temperature chart with the device's alarm band, as the site and device views draw it. */
export function temperatureChart(deviceLabel: string, timezone: string, height: number, onRange?: (from: number, to: number) => void): HistoryChart {
  return new HistoryChart({
    height,
    timezone,
    formatValue: formatTemperature,
    labels: { time: st('chartTime'), mean: st('chartMean'), min: st('chartMin'), max: st('chartMax') },
    description: st('chartDescription', { device: deviceLabel }),
    ...(onRange ? { onRange } : {}),
  });
}

/**
 * One fridge, freezer or hot-holding cabinet in the site view: the live value
 * (the shared device row), its alarm band from the effective rules, and a week
 * of temperatures with the band and the excursions shaded.
 * DOM hooks: `[data-card="temperature"][data-device-id]`, `[data-field="band"]`,
 * `[data-field="excursions"]`, and the chart's `[data-chart]`.
 */
export class TemperatureCard {
  readonly element: HTMLElement;
  readonly row: DeviceView;
  private readonly chart: HistoryChart;
  private readonly bandLine: HTMLParagraphElement;
  private readonly excursionLine: HTMLParagraphElement;

  constructor(
    private device: DeviceWithLatest,
    private readonly timezone: string,
    private readonly api: ApiClient,
  ) {
    ({ element: this.element, row: this.row } = deviceCard('temperature', device, timezone));
    this.bandLine = cardNote('band');
    this.excursionLine = cardNote('excursions');
    this.chart = temperatureChart(device.label, timezone, 170);
    const caption = h('p', 'chart-caption', st('chartWeek'));
    this.element.append(this.bandLine, caption, this.chart.element, this.excursionLine, detailsLink(device.id));
    if (device.latest) this.row.applyReading(device.latest.ts, device.latest.seq, device.latest.values, false);
  }

  /** Reads the band and the week's history; called at start and after every reconnection. */
  async load(now = Date.now()): Promise<void> {
    try {
      const [settings, week] = await Promise.all([
        rules(this.api, this.device.id),
        history(this.api, this.device.id, 'temperatureC', now - WEEK_MS, now, WEEK_POINTS),
      ]);
      const band = temperatureBand(settings.effective, this.device.profile);
      setText(this.bandLine, bandText(band));
      this.chart.setBand(band);
      this.chart.setHistory(week);
      this.showExcursions();
    } catch (error) {
      if (error instanceof ApiError && error.unauthorized) return;
      setText(this.excursionLine, st('chartFailed', { message: error instanceof Error ? error.message : String(error) }));
    }
  }

  /** Registry data after a REST re-read (presence, label) and the newest reading. */
  update(device: DeviceWithLatest): void {
    this.device = device;
    this.row.setDevice(device, this.timezone);
    if (device.latest) this.row.applyReading(device.latest.ts, device.latest.seq, device.latest.values, false);
  }

  reading(r: LiveReading): void {
    if (!this.row.applyReading(r.ts, r.seq, r.values, true)) return;
    const c = r.values.temperatureC;
    if (typeof c !== 'number') return;
    this.chart.addReading(r.ts, c);
    this.showExcursions();
  }

  close(): void {
    this.chart.destroy();
  }

  private showExcursions(): void {
    const n = this.chart.excursionCount;
    setText(this.excursionLine, n ? st('excursions', { n }) : st('excursionsNone'));
    this.excursionLine.classList.toggle('warn', n > 0);
  }
}
