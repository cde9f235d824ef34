import './alerts.css';
import type { Alert, AlertState, Severity } from '../../../contracts/alerts.js';
import type { Region, Site } from '../../../contracts/registry.js';
import { h, setText } from '../dom.js';
import { buildHash } from '../router.js';
import { CONDITION_RULE_IDS, ruleName, severityName, stateName } from './alert-labels.js';
import { AlertRow } from './alert-row.js';
import { at } from './alerts.i18n.js';
import { loadingState, showFailure } from './view-kit.js';
import type { View, ViewFactory } from './view.js';

const PAGE = 100;
// The dashboard imports only types from contracts, so these lists are spelled out (the types keep them honest).
const SEVERITIES_WORST_FIRST: readonly Severity[] = ['critical', 'warning', 'info'];
const STATES: readonly AlertState[] = ['open', 'acknowledged', 'resolved'];
/** The filters chosen from selects, in the order of the form; their values are the API's query parameters. */
const SELECT_KEYS = ['severity', 'kind', 'regionId', 'state'] as const;
/**
 * Every filter the feed understands. `siteId` comes from links (the site view's
 * "open alerts"): a city has too many sites for a select, so it shows as a line
 * with a button that clears it.
 */
const FILTER_KEYS = [...SELECT_KEYS, 'siteId'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Partial<Record<FilterKey, string>>;

/** `kind` is a rule id, or `finding` for every AI finding (the API's `category`). */
function apiQuery(filters: Filters, before?: number): Record<string, string | number | undefined> {
  const { kind, state } = filters;
  return {
    severity: filters.severity,
    regionId: filters.regionId,
    siteId: filters.siteId,
    state: state === 'all' ? undefined : (state ?? 'active'),
    ...(kind === 'finding' ? { category: 'finding' } : { rule: kind }),
    limit: PAGE,
    before,
  };
}

/** Would the list, as filtered, contain this alert? Used for live pushes (region filters are checked by site). */
function matches(alert: Alert, filters: Filters, siteInRegion: (siteId: string) => boolean): boolean {
  const state = filters.state ?? 'active';
  if (state === 'active' && alert.state === 'resolved') return false;
  if (state !== 'active' && state !== 'all' && alert.state !== state) return false;
  if (filters.severity && alert.severity !== filters.severity) return false;
  if (filters.kind === 'finding' && alert.category !== 'finding') return false;
  if (filters.kind && filters.kind !== 'finding' && alert.rule !== filters.kind) return false;
  if (filters.siteId && alert.siteId !== filters.siteId) return false;
  return !filters.regionId || siteInRegion(alert.siteId);
}

function select(id: string, label: string, options: ReadonlyArray<[string, string]>, value: string | undefined): { wrap: HTMLElement; select: HTMLSelectElement } {
  const wrap = h('div', 'filter');
  const l = h('label', '', label);
  l.htmlFor = id;
  const s = h('select');
  s.id = id;
  for (const [v, text] of options) {
    const o = h('option', '', text);
    o.value = v;
    s.append(o);
  }
  s.value = value ?? options[0]![0];
  wrap.append(l, s);
  return { wrap, select: s };
}

/**
 * `#/alerts[?severity&kind&regionId&state&siteId]`: alerts in the caller's scope, newest
 * first. New alerts appear at the top as they are pushed; changes update rows in
 * place; each row can be acknowledged, commented, assigned and resolved with a
 * corrective action. Filters live in the address, so a filtered feed can be bookmarked.
 */
export const alertsView: ViewFactory = (ctx, { query }) => {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = query.get(key);
    if (value) filters[key] = value;
  }

  const element = h('section', 'view view-alerts');
  element.dataset.view = 'alerts';
  const title = h('h2', 'view-title', at('heading'));
  const form = h('form', 'alert-filters');
  form.setAttribute('aria-label', at('filters'));
  const message = h('p', 'alerts-message');
  message.id = 'alerts-message';
  message.setAttribute('role', 'status');
  message.hidden = true;
  const count = h('p', 'muted small');
  const list = h('ul', 'alert-list');
  const empty = h('p', 'muted', at('empty'));
  empty.hidden = true;
  const more = h('button', '', at('loadMore'));
  more.type = 'button';
  more.hidden = true;
  element.append(title, form, message, count, list, empty, more);
  const state = loadingState(element);

  let closed = false;
  let sites = new Map<string, Site>();
  let regions: Region[] = [];
  const rows = new Map<number, AlertRow>();
  let oldest: number | undefined;
  /** Counts first-page requests; only the newest one's answer is shown. */
  let requests = 0;
  let loading = false;
  let pushedDuringLoad: Array<{ alert: Alert; fresh: boolean }> = [];

  const siteInRegion = (siteId: string) => {
    const region = regions.find((r) => r.id === filters.regionId);
    const site = sites.get(siteId);
    const path = site ? regions.find((r) => r.id === site.regionId)?.path : undefined;
    return region !== undefined && path !== undefined && path.startsWith(region.path);
  };

  const host = {
    api: ctx.api,
    site: (siteId: string) => sites.get(siteId),
    changed: (alert: Alert) => place(alert),
    say(text: string, error = false) {
      message.hidden = false;
      message.classList.toggle('error', error);
      setText(message, text);
    },
  };

  function showCount(): void {
    setText(count, at('count', { n: rows.size }));
    empty.hidden = rows.size > 0;
  }

  /** Puts a pushed or changed alert where it belongs: a new row on top, an update in place, gone if it no longer matches. */
  function place(alert: Alert, fresh = false): void {
    // A push that arrives while the list is being read may be newer than the answer: it is applied again afterwards.
    if (loading) pushedDuringLoad.push({ alert, fresh });
    const row = rows.get(alert.id);
    // A listed alert that no longer matches (resolved under "not resolved") stays, showing its outcome, until the next reload.
    if (row) {
      row.update(alert);
    } else if (matches(alert, filters, siteInRegion)) {
      const created = new AlertRow(alert, host, fresh);
      rows.set(alert.id, created);
      list.prepend(created.el);
      showCount();
    }
  }

  /**
   * The first page again (start, filter change, reconnection), merged into the rows
   * shown: rows still listed are updated in place, new ones added, the others
   * removed — except a row whose work panel is open on a reconnection, so a note
   * being typed survives (sockets reconnect every time the access token expires).
   * Only the answer to the newest request is used: an older filter's slow answer is dropped.
   */
  async function reloadFirstPage(keepWork: boolean): Promise<void> {
    const request = ++requests;
    loading = true;
    pushedDuringLoad = [];
    let page: Alert[];
    try {
      page = await ctx.api.get<Alert[]>('/alerts', apiQuery(filters));
    } finally {
      if (request === requests) loading = false;
    }
    if (closed || request !== requests) return;
    const pushed = pushedDuringLoad;
    pushedDuringLoad = [];
    const listed = new Set([...page.map((a) => a.id), ...pushed.map((p) => p.alert.id)]);
    for (const [id, row] of rows) {
      if (!listed.has(id) && !(keepWork && row.working)) {
        row.el.remove();
        rows.delete(id);
      }
    }
    for (const alert of page) {
      const row = rows.get(alert.id);
      if (row) row.update(alert);
      else rows.set(alert.id, new AlertRow(alert, host));
    }
    for (const { alert, fresh } of pushed) place(alert, fresh);
    arrange();
    oldest = page.length > 0 ? page[page.length - 1]!.id : undefined;
    more.hidden = page.length < PAGE;
    showCount();
  }

  /** Rows newest first (the API's order), moving only those out of place, and the focus kept where it was. */
  function arrange(): void {
    const focused = document.activeElement;
    const ordered = [...rows.values()].sort((a, b) => b.id - a.id).map((r) => r.el);
    ordered.forEach((el, i) => {
      if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
    });
    if (focused instanceof HTMLElement && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  }

  /** The next page below the oldest row shown ("load more"). */
  async function loadMore(before: number): Promise<void> {
    const request = requests;
    const page = await ctx.api.get<Alert[]>('/alerts', apiQuery(filters, before));
    if (closed || request !== requests) return;
    for (const alert of page) {
      if (rows.has(alert.id)) continue;
      const row = new AlertRow(alert, host);
      rows.set(alert.id, row);
      list.append(row.el);
    }
    if (page.length > 0) oldest = page[page.length - 1]!.id;
    more.hidden = page.length < PAGE;
    showCount();
  }

  function buildForm(): void {
    const regionOptions: Array<[string, string]> = [['', at('any')], ...regions.map((r): [string, string] => [r.id, `${'　'.repeat(r.path.split('/').filter(Boolean).length - 1)}${r.name}`])];
    const fields = [
      select('alert-filter-severity', at('severity'), [['', at('any')], ...SEVERITIES_WORST_FIRST.map((s): [string, string] => [s, severityName(s)])], filters.severity),
      select(
        'alert-filter-kind',
        at('kind'),
        [['', at('any')], ['finding', at('anyFinding')], ...CONDITION_RULE_IDS.map((r): [string, string] => [r, ruleName(r)])],
        filters.kind,
      ),
      select('alert-filter-region', at('region'), regionOptions, filters.regionId),
      select('alert-filter-state', at('state'), [['active', at('stateActive')], ...STATES.map((s): [string, string] => [s, stateName(s)]), ['all', at('any')]], filters.state),
    ];
    // The selects are built in SELECT_KEYS order; each one's change sets its key.
    form.replaceChildren(...fields.map((f) => f.wrap));
    fields.forEach((field, i) => {
      const key = SELECT_KEYS[i]!;
      field.select.addEventListener('change', () => {
        if (field.select.value) filters[key] = field.select.value;
        else delete filters[key];
        filtersChanged();
      });
    });
    if (filters.siteId) form.append(siteFilter(filters.siteId));
  }

  /** The site filter: the site's name and a button that shows every site again. */
  function siteFilter(siteId: string): HTMLElement {
    const wrap = h('div', 'filter filter-site');
    wrap.id = 'alert-filter-site';
    wrap.dataset.siteId = siteId;
    const clear = h('button', '', at('clearSite'));
    clear.type = 'button';
    clear.dataset.action = 'clear-site';
    clear.addEventListener('click', () => {
      delete filters.siteId;
      wrap.remove();
      filtersChanged();
    });
    wrap.append(h('span', '', at('siteFilter', { name: sites.get(siteId)?.name ?? siteId })), ' ', clear);
    return wrap;
  }

  function filtersChanged(): void {
    // The address follows the filters without re-creating the view (focus stays on the select).
    history.replaceState(history.state, '', buildHash('alerts', [], Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Record<string, string>));
    void reload();
  }

  async function reload(keepWork = false): Promise<void> {
    const request = requests + 1;
    try {
      await reloadFirstPage(keepWork);
      if (request === requests) state.ready();
    } catch (error) {
      if (!closed && request === requests) showFailure(state, error, () => void reload());
    }
  }

  async function start(): Promise<void> {
    try {
      const [siteList, regionList] = await Promise.all([ctx.api.sites(), ctx.api.regions()]);
      if (closed) return;
      sites = new Map(siteList.map((s) => [s.id, s]));
      regions = regionList;
      buildForm();
      await reload();
    } catch (error) {
      if (!closed) showFailure(state, error, () => void start());
    }
  }

  more.addEventListener('click', () => {
    if (oldest !== undefined) void loadMore(oldest).catch((error: unknown) => showFailure(state, error, () => undefined));
  });
  form.addEventListener('submit', (event) => event.preventDefault());

  const stops = [
    ctx.live.on('alert:raised', (alert) => place(alert, true)),
    ctx.live.on('alert:updated', (alert) => place(alert)),
    ctx.live.on('alert:resolved', (alert) => place(alert)),
    // Pushes missed while disconnected are not replayed: read the list again.
    ctx.live.onResync(() => void reload(true)),
  ];
  void start();

  const view: View = {
    element,
    close() {
      closed = true;
      for (const stop of stops) stop();
    },
  };
  return view;
};
