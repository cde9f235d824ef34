import type { Alert } from '../../../contracts/alerts.js';
import './detail.css';
import type { Region, Site } from '../../../contracts/registry.js';
import type { DeviceWithLatest } from '../api.js';
import { h, setText } from '../dom.js';
import { DEFAULT_TIMEZONE } from '../format.js';
import { severityName } from './alert-labels.js';
import { CameraTile } from './camera-tile.js';
import { OilCard } from './oil-card.js';
import { alerts, site as getSite } from './queries.js';
import { st } from './site.i18n.js';
import { TemperatureCard } from './temperature-card.js';
import { viewFrame } from './view-frame.js';
import { rereader } from './view-kit.js';
import type { ViewContext, ViewFactory } from './view.js';

type Card = TemperatureCard | OilCard | CameraTile;

const SEVERITY_ORDER = ['critical', 'warning', 'info'] as const;

/**
 * `#/sites/<siteId>`: one kitchen. Every device with its live value and state;
 * temperature cards with a week's chart, the alarm band and excursions shaded;
 * grease traps with the fill gauge, last pump-out and forecast; camera tiles with
 * the AI findings to confirm or dismiss. Live through the site's room; on every
 * reconnection it re-reads what it shows.
 * DOM hooks: `[data-view="site"][data-site-id][data-state="loading|ready|error"]`,
 * `[data-section="temperature|oil|camera"]`, `[data-field="open-alerts"]`.
 */
export const siteView: ViewFactory = (ctx, { path }) => {
  const siteId = path[0] ?? '';
  const frame = viewFrame('site', { name: 'siteId', value: siteId });
  const { element, heading } = frame;
  const crumbs = h('nav', 'crumbs');
  const meta = h('p', 'site-meta');
  const openAlerts = h('p', 'site-alerts');
  openAlerts.dataset.field = 'open-alerts';
  const sections = {
    temperature: section('temperature', st('sectionTemperature')),
    oil: section('oil', st('sectionOil')),
    camera: section('camera', st('sectionCamera')),
  };
  // Grease traps and cameras side by side under the temperatures (a kitchen has few of each).
  const pair = h('div', 'site-pair');
  pair.append(sections.oil.el, sections.camera.el);
  element.append(crumbs, meta, openAlerts, sections.temperature.el, pair);

  const cards = new Map<string, Card>();
  const cameras = new Map<string, CameraTile>();
  const active = new Map<number, Alert>();
  const stops: Array<() => void> = [];
  let timezone = DEFAULT_TIMEZONE;
  let closed = false;
  const mayJudge = ctx.user.role !== 'operator';

  function showAlerts(): void {
    const bySeverity = SEVERITY_ORDER.map((s) => ({ s, n: [...active.values()].filter((a) => a.severity === s).length })).filter((x) => x.n > 0);
    const link = h('a', '', st('openAlertsLink'));
    link.href = `#/alerts?siteId=${encodeURIComponent(siteId)}`;
    const text = active.size ? st('openAlerts', { n: active.size, detail: bySeverity.map((x) => `${severityName(x.s)} ${x.n}`).join(' · ') }) : st('openAlertsNone');
    openAlerts.replaceChildren(text, ' ', link);
    openAlerts.dataset.count = String(active.size);
    openAlerts.classList.toggle('warn', active.size > 0);
  }

  function alertChanged(alert: Alert): void {
    if (alert.siteId !== siteId) return;
    if (alert.state === 'resolved') active.delete(alert.id);
    else active.set(alert.id, alert);
    showAlerts();
    if (alert.category === 'finding') cameras.get(alert.deviceId)?.alertChanged(alert);
  }

  function build(site: Site, regions: readonly Region[], devices: readonly DeviceWithLatest[]): void {
    timezone = site.timezone || DEFAULT_TIMEZONE;
    setText(heading, site.name);
    crumbs.replaceChildren(...regionTrail(site, regions, ctx));
    meta.replaceChildren(...[site.address ?? '', st('timezone', { tz: timezone })].filter(Boolean).map((text) => h('span', '', text)));
    for (const device of devices) {
      if (device.revokedAt !== null) continue;
      const existing = cards.get(device.id);
      if (existing) {
        existing.update(device);
        continue;
      }
      let card: Card;
      if (device.kind === 'temperature') card = new TemperatureCard(device, timezone, ctx.api);
      else if (device.kind === 'oil_separator') card = new OilCard(device, timezone, ctx.api);
      else {
        const tile = new CameraTile(device, timezone, ctx.api, mayJudge);
        cameras.set(device.id, tile);
        card = tile;
      }
      cards.set(device.id, card);
      const target = device.kind === 'temperature' ? sections.temperature : device.kind === 'oil_separator' ? sections.oil : sections.camera;
      target.cards.append(card.element);
    }
    for (const s of Object.values(sections)) s.empty.hidden = s.cards.childElementCount > 0;
  }

  /** Everything over REST: at start and after every reconnection (events missed meanwhile). */
  const load = rereader(async () => {
    try {
      const [site, regions, devices, open] = await Promise.all([
        getSite(ctx.api, siteId),
        ctx.api.regions(),
        ctx.api.devices(siteId),
        alerts(ctx.api, { siteId, state: 'active', limit: 500 }),
      ]);
      if (closed) return;
      build(site, regions, devices);
      active.clear();
      for (const a of open) active.set(a.id, a);
      showAlerts();
      for (const [deviceId, tile] of cameras) tile.setFindings(open.filter((a) => a.deviceId === deviceId && a.category === 'finding'));
      frame.ready();
      await Promise.all([...cards.values()].map((c) => ('load' in c ? c.load() : undefined)));
    } catch (error) {
      if (!closed) frame.fail(error, st('siteNotFound'), () => void load());
    }
  }, () => closed);

  stops.push(
    ctx.live.watchSite(siteId),
    ctx.live.on('reading:new', (r) => {
      if (r.siteId !== siteId) return;
      cards.get(r.deviceId)?.reading(r);
    }),
    ctx.live.on('device:presence', (p) => {
      if (p.siteId === siteId) cards.get(p.deviceId)?.row.setPresence(p.online, p.at);
    }),
    ctx.live.on('finding:new', (f) => {
      if (f.siteId === siteId) cameras.get(f.deviceId)?.finding(f);
    }),
    ctx.live.on('alert:raised', alertChanged),
    ctx.live.on('alert:updated', alertChanged),
    ctx.live.on('alert:resolved', alertChanged),
    ctx.live.onResync(() => void load()),
  );
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const card of cards.values()) card.row.tick(now);
  }, 1000);
  void load();

  return {
    element,
    close() {
      closed = true;
      clearInterval(ticker);
      for (const stop of stops) stop();
      for (const card of cards.values()) card.close();
    },
  };
};

function section(name: string, title: string): { el: HTMLElement; cards: HTMLDivElement; empty: HTMLParagraphElement } {
  const el = h('section', `site-section site-section-${name}`);
  el.dataset.section = name;
  const headingId = `site-section-${name}`;
  const heading = h('h3', 'section-title', title);
  heading.id = headingId;
  el.setAttribute('aria-labelledby', headingId);
  const cards = h('div', 'cards');
  const empty = h('p', 'card-note', st('noDevicesOfKind'));
  el.append(heading, cards, empty);
  return { el, cards, empty };
}

/**
 * City › district › township of the site; links to the overview only for regions
 * inside the user's scope (a district supervisor's city overview answers 404),
 * as the overview's own breadcrumb does with `openable`.
 */
function regionTrail(site: Site, regions: readonly Region[], ctx: ViewContext): Node[] {
  const byId = new Map(regions.map((r) => [r.id, r]));
  const { scope } = ctx.user;
  const scopePath = scope.kind === 'region' ? byId.get(scope.regionId)?.path : undefined;
  const openable = (region: Region) => scope.kind === 'all' || (scopePath !== undefined && region.path.startsWith(scopePath));
  const trail: Region[] = [];
  for (let r = byId.get(site.regionId); r && trail.length < 10; r = r.parentId ? byId.get(r.parentId) : undefined) trail.unshift(r);
  const nodes: Node[] = [];
  for (const region of trail) {
    if (nodes.length) nodes.push(document.createTextNode(' › '));
    if (ctx.user.role === 'operator' || !openable(region)) nodes.push(h('span', '', region.name));
    else {
      const a = h('a', '', region.name);
      a.href = `#/overview/${encodeURIComponent(region.id)}`;
      nodes.push(a);
    }
  }
  return nodes;
}
