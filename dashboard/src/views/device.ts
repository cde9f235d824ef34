import type { Device } from '../../../contracts/registry.js';
import type { RuleSettings } from '../../../contracts/rule-settings.js';
import type { DeviceWithLatest } from '../api.js';
import type { Band } from '../charts/chart-data.js';
import { HistoryChart } from '../charts/history-chart.js';
import { DeviceView } from '../device-view.js';
import { h, setText } from '../dom.js';
import { DEFAULT_TIMEZONE, formatDateTime } from '../format.js';
import './detail.css';
import { alertTable, quarantineTable } from './device-tables.js';
import { dt } from './device.i18n.js';
import { alerts, device as getDevice, fieldBand, history as fetchHistory, quarantine, rules, site as getSite } from './queries.js';
import { st } from './site.i18n.js';
import { viewFrame } from './view-frame.js';
import type { ViewFactory } from './view.js';

/** Numeric fields worth a chart, per kind (the catalogue is contracts/device-kinds.ts; the dashboard imports no runtime code from it). */
const CHART_FIELDS: Readonly<Record<Device['kind'], readonly string[]>> = {
  temperature: ['temperatureC', 'humidityPct', 'batteryPct', 'rssiDbm'],
  oil_separator: ['fillPct', 'greaseMm', 'liquidLevelMm', 'waterTempC', 'effluentOilMgL', 'batteryPct'],
  camera: ['fps', 'bitrateKbps', 'storageFreePct'],
};

const HOUR = 3_600_000;
const RANGES = [
  { key: 'range6h', span: 6 * HOUR },
  { key: 'range24h', span: 24 * HOUR },
  { key: 'range7d', span: 7 * 24 * HOUR },
  { key: 'range30d', span: 30 * 24 * HOUR },
] as const;
/** The narrowest zoom: below a minute the buckets are single readings anyway. */
const MIN_SPAN = 60_000;
/** The widest a request may span (the API refuses over 400 days). */
const MAX_SPAN = 400 * 24 * HOUR;
/** Live readings are folded into the chart while its range ends this close to now. */
const LIVE_EDGE = 2 * 60_000;
const CHART_HEIGHT = 300;

function bucketText(ms: number): string {
  if (ms < 60_000) return dt('bucketSeconds', { n: Math.max(1, Math.round(ms / 1000)) });
  if (ms < HOUR) return dt('bucketMinutes', { n: Math.round(ms / 60_000) });
  return dt('bucketHours', { n: Math.round((ms / HOUR) * 10) / 10 });
}

/**
 * `#/devices/<deviceId>[?field=…&from=…&to=…]`: one device's history with zoom
 * (pick a range, or drag across the chart: the server downsamples the new range
 * to about one bucket per pixel), its alert history and its quarantined payloads.
 * DOM hooks: `[data-view="device"][data-device-id][data-state]`, `#history-field`,
 * `[data-range="range24h"]`…, `[data-action="zoom-out"]`, the chart's `[data-chart]`
 * (`data-from`, `data-to`, `data-bucket-ms`), `[data-section="alerts|quarantine"]`.
 */
export const deviceView: ViewFactory = (ctx, { path, query }) => {
  const deviceId = path[0] ?? '';
  const frame = viewFrame('device', { name: 'deviceId', value: deviceId });
  const { element, heading } = frame;
  const back = h('p', 'crumbs');
  const rowList = h('ul', 'devices device-head');

  const historyBox = h('section', 'card device-history');
  historyBox.dataset.section = 'history';
  const controls = h('div', 'history-controls');
  const fieldLabel = h('label', '', dt('fieldLabel'));
  const fieldSelect = h('select');
  fieldSelect.id = 'history-field';
  fieldLabel.htmlFor = fieldSelect.id;
  const rangeGroup = h('div', 'range-buttons');
  rangeGroup.setAttribute('role', 'group');
  rangeGroup.setAttribute('aria-label', dt('rangeLabel'));
  const zoomOut = h('button', 'btn', dt('zoomOut'));
  zoomOut.type = 'button';
  zoomOut.dataset.action = 'zoom-out';
  controls.append(fieldLabel, fieldSelect, rangeGroup, zoomOut);
  const rangeLine = h('p', 'card-note');
  rangeLine.dataset.field = 'range';
  rangeLine.setAttribute('aria-live', 'polite');
  const hint = h('p', 'card-note', dt('zoomHint'));
  const chartHost = h('div', 'chart-host');
  historyBox.append(h('h3', 'section-title', dt('historyHeading')), controls, rangeLine, chartHost, hint);

  const alertsBox = h('section', 'card');
  alertsBox.dataset.section = 'alerts';
  const alertsBody = h('div', 'table-wrap');
  alertsBox.append(h('h3', 'section-title', dt('alertsHeading')), alertsBody);
  const quarantineBox = h('section', 'card');
  quarantineBox.dataset.section = 'quarantine';
  const quarantineBody = h('div', 'table-wrap');
  quarantineBox.append(h('h3', 'section-title', dt('quarantineHeading')), quarantineBody);
  element.append(back, rowList, historyBox, alertsBox, quarantineBox);

  let closed = false;
  let device: DeviceWithLatest | undefined;
  let settings: RuleSettings | undefined;
  let row: DeviceView | undefined;
  let chart: HistoryChart | undefined;
  let timezone = DEFAULT_TIMEZONE;
  const now = Date.now();
  let to = Number(query.get('to')) || now;
  let from = Number(query.get('from')) || to - 24 * HOUR;
  let field = query.get('field') ?? '';
  let request = 0;
  let watching = false;
  const stops: Array<() => void> = [];

  const failed = (error: unknown) => {
    if (!closed) frame.fail(error, dt('deviceNotFound'), () => void (device ? showRange(from, to).then(loadTables) : load()));
  };

  /** Keeps the range in the address (shareable) without a new history entry or a re-render. */
  function remember(): void {
    const params = new URLSearchParams({ field, from: String(Math.round(from)), to: String(Math.round(to)) });
    history.replaceState(history.state, '', `#/devices/${encodeURIComponent(deviceId)}?${params.toString()}`);
  }

  function newChart(d: Device): HistoryChart {
    chart?.destroy();
    const unit = dt.lookup(`field_${field}`) ?? field;
    const c = new HistoryChart({
      height: CHART_HEIGHT,
      timezone,
      formatValue: (v) => String(Math.round(v * 10) / 10),
      labels: { time: st('chartTime'), mean: st('chartMean'), min: st('chartMin'), max: st('chartMax') },
      description: `${d.label}: ${unit}`,
      onRange: (a, b) => void showRange(a, b),
    });
    chartHost.replaceChildren(c.element);
    return c;
  }

  /** Fetches `[a, b)` downsampled to about one bucket per chart pixel, and draws it. */
  async function showRange(a: number, b: number): Promise<void> {
    if (!device || !chart) return;
    const end = Math.min(b, Date.now());
    const span = Math.min(MAX_SPAN, Math.max(MIN_SPAN, end - a));
    from = end - span;
    to = end;
    remember();
    const mine = ++request;
    const points = Math.max(100, Math.min(2000, Math.round(chart.element.clientWidth || 1000)));
    try {
      const answer = await fetchHistory(ctx.api, device.id, field, from, to, points);
      if (closed || mine !== request) return; // a newer range was asked for meanwhile
      chart.setHistory(answer);
      setText(rangeLine, `${dt('rangeText', { from: formatDateTime(from, timezone), to: formatDateTime(to, timezone), bucket: bucketText(answer.bucketMs) })}${answer.points.length ? '' : ` ${dt('noHistory')}`}`);
    } catch (error) {
      failed(error);
    }
  }

  function selectField(name: string): void {
    if (!device) return;
    field = name;
    chart = newChart(device);
    const band: Band | null = settings ? fieldBand(settings, device.profile, field) : null;
    chart.setBand(band);
    void showRange(from, to);
  }

  async function loadTables(): Promise<void> {
    if (!device) return;
    const [list, entries] = await Promise.all([alerts(ctx.api, { deviceId: device.id, limit: 100 }), quarantine(ctx.api, device.id)]);
    if (closed) return;
    alertsBody.replaceChildren(alertTable(list, timezone));
    quarantineBody.replaceChildren(quarantineTable(entries, timezone));
  }

  /** Presence and the newest reading over REST, into the row (older news than it shows is ignored). */
  async function refreshDevice(): Promise<void> {
    const d = await getDevice(ctx.api, deviceId);
    if (closed || !row) return;
    device = d;
    row.setDevice(d, timezone);
    if (d.latest) row.applyReading(d.latest.ts, d.latest.seq, d.latest.values, false);
  }

  async function load(): Promise<void> {
    try {
      // The device names its site; the site's room is joined before the device is read for
      // what the view shows, so a reading or presence change in between is pushed, not lost.
      const { siteId } = await getDevice(ctx.api, deviceId);
      if (closed) return;
      if (!watching) {
        stops.push(ctx.live.watchSite(siteId));
        watching = true;
      }
      const [d, site, effective] = await Promise.all([getDevice(ctx.api, deviceId), getSite(ctx.api, siteId), rules(ctx.api, deviceId)]);
      if (closed) return;
      device = d;
      settings = effective.effective;
      timezone = site.timezone || DEFAULT_TIMEZONE;
      setText(heading, d.label);
      const link = h('a', '', dt('backToSite', { site: site.name }));
      link.href = `#/sites/${encodeURIComponent(site.id)}`;
      back.replaceChildren(link, ...(d.revokedAt !== null ? [` · ${dt('revoked')}`] : []));
      row = new DeviceView(d, timezone);
      if (d.latest) row.applyReading(d.latest.ts, d.latest.seq, d.latest.values, false);
      rowList.replaceChildren(row.el);
      const fields = CHART_FIELDS[d.kind];
      if (!fields.includes(field)) field = fields[0]!;
      fieldSelect.replaceChildren(
        ...fields.map((f) => {
          const option = h('option', '', dt.lookup(`field_${f}`) ?? f);
          option.value = f;
          option.selected = f === field;
          return option;
        }),
      );
      rangeGroup.replaceChildren(
        ...RANGES.map((r) => {
          const b = h('button', 'btn', dt(r.key));
          b.type = 'button';
          b.dataset.range = r.key;
          b.addEventListener('click', () => void showRange(Date.now() - r.span, Date.now()));
          return b;
        }),
      );
      frame.ready();
      selectField(field);
      await loadTables();
    } catch (error) {
      failed(error);
    }
  }

  fieldSelect.addEventListener('change', () => selectField(fieldSelect.value));
  zoomOut.addEventListener('click', () => {
    const middle = (from + to) / 2;
    const span = Math.min(MAX_SPAN, (to - from) * 2);
    void showRange(middle - span / 2, middle + span / 2);
  });
  stops.push(
    ctx.live.on('reading:new', (r) => {
      if (r.deviceId !== deviceId || !row?.applyReading(r.ts, r.seq, r.values, true)) return;
      const v = r.values[field];
      if (chart && typeof v === 'number' && to >= Date.now() - LIVE_EDGE) chart.addReading(r.ts, v);
    }),
    ctx.live.on('device:presence', (p) => {
      if (p.deviceId === deviceId) row?.setPresence(p.online, p.at);
    }),
    ctx.live.on('alert:raised', (a) => void (a.deviceId === deviceId && loadTables().catch(failed))),
    ctx.live.on('alert:updated', (a) => void (a.deviceId === deviceId && loadTables().catch(failed))),
    ctx.live.on('alert:resolved', (a) => void (a.deviceId === deviceId && loadTables().catch(failed))),
    ctx.live.onResync(() => {
      if (!device) return;
      // Presence and readings pushed while disconnected are not replayed: read the device again too.
      refreshDevice().catch(failed);
      void showRange(from, to >= Date.now() - LIVE_EDGE ? Date.now() : to);
      loadTables().catch(failed);
    }),
  );
  const ticker = setInterval(() => row?.tick(Date.now()), 1000);
  void load();

  return {
    element,
    close() {
      closed = true;
      clearInterval(ticker);
      for (const stop of stops) stop();
      chart?.destroy();
    },
  };
};
