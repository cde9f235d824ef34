import './overview.css';
import type { Overview, OverviewKpis } from '../../../contracts/overview.js';
import type { Severity } from '../../../contracts/alerts.js';
import { h } from '../dom.js';
import { formatDateTime, formatDuration, formatRate } from '../format.js';
import { buildHash } from '../router.js';
import { severityName } from './alert-labels.js';
import { ot } from './overview.i18n.js';
import { keepFocus, loadingState, rereader, showFailure } from './view-kit.js';
import type { View, ViewFactory } from './view.js';

/** Alert changes arrive one by one; the overview re-reads at most this often. */
const REFETCH_DELAY_MS = 1_000;
/** Presence changes of thousands of devices are not pushed to the overview; it re-reads them this often. */
const POLL_MS = 30_000;

function kpiCard(key: string, label: string, value: string, note?: string | readonly string[], severity?: Severity | null): HTMLElement {
  const card = h('div', 'kpi');
  card.dataset.kpi = key;
  if (severity !== undefined) card.dataset.worst = severity ?? 'none';
  const dt = h('dt', 'kpi-label', label);
  const dd = h('dd', 'kpi-value', value);
  dd.dataset.value = '';
  card.append(dt, dd);
  for (const line of typeof note === 'string' ? [note] : (note ?? [])) card.append(h('dd', 'kpi-note', line));
  return card;
}

function worstOf(open: OverviewKpis['openAlerts']): Severity | null {
  return open.critical > 0 ? 'critical' : open.warning > 0 ? 'warning' : open.info > 0 ? 'info' : null;
}

function kpiGrid(o: Overview): HTMLElement {
  const k = o.totals;
  const days = o.period.days;
  const grid = h('dl', 'kpis');
  grid.append(
    kpiCard('sites', ot('kpiSites'), String(k.sites)),
    kpiCard('devices', ot('kpiDevices'), formatRate(k.devices.rate), ot('onlineOf', { online: k.devices.online, total: k.devices.total })),
    kpiCard('cameras', ot('kpiCameras'), formatRate(k.cameras.rate), ot('onlineOf', { online: k.cameras.online, total: k.cameras.total })),
    kpiCard(
      'openAlerts',
      ot('kpiOpenAlerts'),
      String(k.openAlerts.total),
      [
        `${severityName('critical')} ${k.openAlerts.critical} · ${severityName('warning')} ${k.openAlerts.warning} · ${severityName('info')} ${k.openAlerts.info}`,
        // Every open alert nobody has acknowledged, whenever it was raised: a note on the open alerts, not on today's.
        ot('kpiUnacknowledged', { n: k.unacknowledged }),
      ],
      worstOf(k.openAlerts),
    ),
    kpiCard('raisedToday', ot('kpiRaisedToday'), String(k.raisedToday)),
    kpiCard('rectifiedToday', ot('kpiRectifiedToday'), String(k.rectifiedToday)),
    kpiCard('rectificationRate', ot('kpiRectificationRate', { days }), formatRate(k.rectificationRate)),
    kpiCard('medianAck', ot('kpiMedianAck', { days }), formatDuration(k.medianAckMs)),
  );
  return grid;
}

function breadcrumb(o: Overview, scopeLabel: string): HTMLElement {
  const nav = h('nav', 'breadcrumb');
  nav.setAttribute('aria-label', ot('breadcrumb'));
  const list = h('ol');
  for (const region of o.ancestors) {
    const item = h('li');
    if (region.openable) {
      const link = h('a', '', region.name);
      link.href = buildHash('overview', [region.id]);
      link.dataset.focusKey = `crumb-${region.id}`;
      item.append(link);
    } else {
      item.textContent = region.name;
    }
    list.append(item);
  }
  const here = h('li', '', o.region ? o.region.name : scopeLabel);
  here.setAttribute('aria-current', 'page');
  list.append(here);
  nav.append(list);
  return nav;
}

function childrenTable(o: Overview): HTMLElement {
  const section = h('section', 'overview-children');
  const headingId = 'overview-children-heading';
  section.setAttribute('aria-labelledby', headingId);
  const heading = h('h3', '', ot('childrenHeading'));
  heading.id = headingId;
  const table = h('table', 'data-table');
  const head = h('tr');
  for (const col of ['colRegion', 'colSites', 'colDevices', 'colCameras', 'colOpen', 'colRaised', 'colRectified', 'colRate', 'colAck'] as const) {
    const th = h('th', col === 'colRegion' ? '' : 'num', ot(col));
    th.scope = 'col';
    head.append(th);
  }
  table.append(h('thead'), h('tbody'));
  table.tHead!.append(head);
  for (const child of o.children) {
    const k = child.kpis;
    const row = h('tr');
    row.dataset.childRegionId = child.region.id;
    row.dataset.worst = child.worstSeverity ?? 'none';
    const name = h('th');
    name.scope = 'row';
    const cell = h('span', 'region-cell');
    const link = h('a', '', child.region.name);
    link.href = buildHash('overview', [child.region.id]);
    link.dataset.focusKey = `child-${child.region.id}`;
    const dot = h('span', 'sev-dot');
    dot.setAttribute('aria-hidden', 'true');
    cell.append(dot, link, h('span', 'level-tag', ot(`level_${child.region.level}`)));
    name.append(cell);
    row.append(
      name,
      h('td', 'num', String(k.sites)),
      h('td', 'num', formatRate(k.devices.rate)),
      h('td', 'num', formatRate(k.cameras.rate)),
      h('td', 'num', `${k.openAlerts.critical} / ${k.openAlerts.warning} / ${k.openAlerts.info}`),
      h('td', 'num', String(k.raisedToday)),
      h('td', 'num', String(k.rectifiedToday)),
      h('td', 'num', formatRate(k.rectificationRate)),
      h('td', 'num', formatDuration(k.medianAckMs)),
    );
    table.tBodies[0]!.append(row);
  }
  section.append(heading, table);
  return section;
}

function siteTiles(o: Overview): HTMLElement {
  const section = h('section', 'overview-sites');
  const headingId = 'overview-sites-heading';
  section.setAttribute('aria-labelledby', headingId);
  const header = h('div', 'section-header');
  const heading = h('h3', '', ot('sitesHeading'));
  heading.id = headingId;
  header.append(heading);
  if (o.sitesTotal > o.sites.length) header.append(h('span', 'muted', ot('sitesShown', { shown: o.sites.length, total: o.sitesTotal })));
  const legend = h('p', 'sev-legend');
  legend.append(ot('legendWorst'));
  for (const severity of ['critical', 'warning', 'info', 'none'] as const) {
    const key = h('span', 'sev-key');
    key.dataset.worst = severity;
    const dot = h('span', 'sev-dot');
    dot.setAttribute('aria-hidden', 'true');
    key.append(dot, severity === 'none' ? ot('legendNone') : severityName(severity));
    legend.append(key);
  }
  header.append(legend);
  section.append(header);
  if (o.sites.length === 0) {
    section.append(h('p', 'muted', ot('noSites')));
    return section;
  }
  const list = h('ul', 'site-tiles');
  for (const row of o.sites) {
    const k = row.kpis;
    const item = h('li', 'site-tile');
    item.dataset.overviewSiteId = row.site.id;
    item.dataset.worst = row.worstSeverity ?? 'none';
    const link = h('a', 'site-tile-name', row.site.name);
    link.href = buildHash('sites', [row.site.id]);
    link.dataset.focusKey = `site-${row.site.id}`;
    const status = row.worstSeverity
      ? `${severityName(row.worstSeverity)} · ${ot('openCount', { n: k.openAlerts.total })}`
      : ot('noAlerts');
    item.append(link, h('span', 'site-tile-status', status), h('span', 'site-tile-meta', ot('devicesOnline', { online: k.devices.online, total: k.devices.total })));
    list.append(item);
  }
  section.append(list);
  return section;
}

/**
 * `#/overview[/<regionId>]`: the KPIs regulators count for a city, district or
 * township, its child regions to drill into, and its sites coloured by their
 * worst open alert. Re-reads on alert pushes (debounced), after reconnecting,
 * and every 30 s for presence.
 */
export const overviewView: ViewFactory = (ctx, { path }) => {
  const regionId = path[0];
  const element = h('section', 'view view-overview');
  element.dataset.view = 'overview';
  const title = h('h2', 'view-title', ot('heading'));
  const body = h('div', 'overview-body');
  element.append(title, body);
  const state = loadingState(element);

  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const load = rereader(async () => {
    try {
      const o = await ctx.api.get<Overview>('/overview', { regionId });
      if (closed) return;
      const scopeLabel = ctx.user.role === 'operator' ? ot('mySites') : ot('allRegions');
      const alertsLink = h('a', 'section-link', ot('viewAlerts'));
      alertsLink.href = buildHash('alerts', [], o.region ? { regionId: o.region.id } : {});
      alertsLink.dataset.focusKey = 'alerts-link';
      const note = h('p', 'muted small', ot('todayNote', { timezone: o.day.timezone, time: formatDateTime(Date.now(), o.day.timezone) }));
      keepFocus(body, () => {
        body.replaceChildren(
          breadcrumb(o, scopeLabel),
          kpiGrid(o),
          note,
          ...(o.children.length > 0 ? [childrenTable(o)] : []),
          siteTiles(o),
          alertsLink,
        );
      });
      title.textContent = o.region ? `${ot('heading')} · ${o.region.name}` : ot('heading');
      state.ready();
    } catch (error) {
      if (!closed) showFailure(state, error, () => void load());
    }
  }, () => closed);

  /** Many alert changes in a burst become one re-read. */
  function soon(): void {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void load();
    }, REFETCH_DELAY_MS);
  }

  const stops = [
    ctx.live.on('alert:raised', soon),
    ctx.live.on('alert:updated', soon),
    ctx.live.on('alert:resolved', soon),
    ctx.live.onResync(soon),
  ];
  const poll = setInterval(() => void load(), POLL_MS);
  void load();

  const view: View = {
    element,
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      for (const stop of stops) stop();
    },
  };
  return view;
};
