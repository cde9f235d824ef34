import type { LiveReading } from '../../../contracts/events.js';
import type { FieldValues } from '../../../contracts/payloads.js';
import { ApiError, type ApiClient, type DeviceWithLatest } from '../api.js';
import { calendarDaysBetween } from '../calendar-days.js';
import { formatDate, timeElement } from '../dates.js';
import type { DeviceView } from '../device-view.js';
import { h, setText } from '../dom.js';
import { formatPercent } from '../format.js';
import { deviceCard, detailsLink } from './device-card.js';
import { insights, rules } from './queries.js';
import { st } from './site.i18n.js';

/** Until the rules answer: the common pump-out line (25 % of liquid depth, domain.md). */
const DEFAULT_PUMP_OUT_PCT = 25;

/**
 * One grease trap in the site view: the live row, a fill gauge with the pump-out
 * line from the device's rules, the last pump-out the device reported, and the
 * alert engine's forecast of when it reaches the line (`/devices/{id}/insights`).
 * DOM hooks: `[data-card="oil"]`, `[data-field="fill"]` (role meter, `aria-valuenow`),
 * `[data-field="last-pump-out"]`, `[data-field="forecast"]`, `[data-field="fill-rate"]`.
 */
export class OilCard {
  readonly element: HTMLElement;
  readonly row: DeviceView;
  private readonly gauge: HTMLDivElement;
  private readonly level: HTMLDivElement;
  private readonly line: HTMLDivElement;
  private readonly gaugeText: HTMLSpanElement;
  private readonly lastPumpOut: HTMLElement;
  private readonly forecast: HTMLElement;
  private readonly fillRate: HTMLElement;
  private pumpOutPct = DEFAULT_PUMP_OUT_PCT;
  private values: FieldValues | null = null;

  constructor(
    private device: DeviceWithLatest,
    private readonly timezone: string,
    private readonly api: ApiClient,
  ) {
    ({ element: this.element, row: this.row } = deviceCard('oil', device, timezone));

    this.gauge = h('div', 'gauge');
    this.gauge.dataset.field = 'fill';
    this.gauge.setAttribute('role', 'meter');
    this.gauge.setAttribute('aria-valuemin', '0');
    this.gauge.setAttribute('aria-valuemax', '100');
    this.gauge.setAttribute('aria-label', st('fillGauge'));
    this.level = h('div', 'gauge-level');
    this.line = h('div', 'gauge-line');
    this.gaugeText = h('span', 'gauge-text');
    this.gauge.append(this.level, this.line, this.gaugeText);

    const facts = h('dl', 'facts');
    this.lastPumpOut = fact(facts, st('lastPumpOut'), 'last-pump-out');
    this.forecast = fact(facts, st('forecastFull'), 'forecast');
    this.fillRate = fact(facts, st('fillRate'), 'fill-rate');
    this.element.append(this.gauge, facts, detailsLink(device.id));
    this.update(device);
  }

  /** The pump-out line and the forecast; at start and after every reconnection. */
  async load(now = Date.now()): Promise<void> {
    try {
      const [settings, known] = await Promise.all([rules(this.api, this.device.id), insights(this.api, this.device.id)]);
      this.pumpOutPct = settings.effective.oil_fill_high.pumpOutAtPct.value;
      this.showForecast(known.insights, now);
      this.showValues();
    } catch (error) {
      if (error instanceof ApiError && error.unauthorized) return;
      setText(this.forecast, st('chartFailed', { message: error instanceof Error ? error.message : String(error) }));
    }
  }

  update(device: DeviceWithLatest): void {
    this.device = device;
    this.row.setDevice(device, this.timezone);
    if (device.latest && this.row.applyReading(device.latest.ts, device.latest.seq, device.latest.values, false)) {
      this.values = device.latest.values;
    }
    this.showValues();
  }

  reading(r: LiveReading): void {
    if (!this.row.applyReading(r.ts, r.seq, r.values, true)) return;
    this.values = r.values;
    this.showValues();
  }

  close(): void {
    // Nothing to release: no timers or listeners of its own.
  }

  private showValues(): void {
    const fill = this.values?.fillPct;
    const pct = typeof fill === 'number' ? Math.max(0, Math.min(100, fill)) : null;
    this.level.style.height = `${pct ?? 0}%`;
    this.line.style.bottom = `${this.pumpOutPct}%`;
    this.line.title = st('pumpOutLine', { pct: formatPercent(this.pumpOutPct) });
    this.gauge.classList.toggle('warn', pct !== null && pct >= this.pumpOutPct);
    if (pct === null) this.gauge.removeAttribute('aria-valuenow');
    else this.gauge.setAttribute('aria-valuenow', String(Math.round(pct)));
    setText(this.gaugeText, pct === null ? '—' : formatPercent(pct));
    this.gauge.setAttribute('aria-valuetext', `${pct === null ? '—' : formatPercent(pct)} (${st('pumpOutLine', { pct: formatPercent(this.pumpOutPct) })})`);

    const pumped = this.values?.lastPumpOutTs;
    if (typeof pumped === 'number' && pumped > 0) {
      const days = calendarDaysBetween(pumped, Date.now(), this.timezone);
      this.lastPumpOut.replaceChildren(timeElement(pumped, formatDate(pumped, this.timezone)), ` · ${st('daysAgo', { n: Math.max(0, days) })}`);
    } else {
      setText(this.lastPumpOut, st('never'));
    }
  }

  private showForecast(known: Readonly<Record<string, number | string | boolean | null>>, now: number): void {
    const at = known.forecastFullAt;
    if (typeof at !== 'number') setText(this.forecast, st('forecastNone'));
    else if (at <= now) setText(this.forecast, st('forecastNow'));
    else this.forecast.replaceChildren(timeElement(at, formatDate(at, this.timezone)), ` · ${st('inDays', { n: calendarDaysBetween(now, at, this.timezone) })}`);
    const rate = known.fillRatePctPerDay;
    setText(this.fillRate, typeof rate === 'number' ? st('fillRateValue', { value: `${rate.toFixed(1)} %` }) : '—');
  }
}

function fact(list: HTMLDListElement, label: string, field: string): HTMLElement {
  const dd = h('dd');
  dd.dataset.field = field;
  list.append(h('dt', '', label), dd);
  return dd;
}
