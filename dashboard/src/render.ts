import type { Region, Site } from '../../contracts/registry.js';
import type { DeviceWithLatest } from './api.js';
import { DeviceView } from './device-view.js';
import { h, setText } from './dom.js';
import { DEFAULT_TIMEZONE } from './format.js';
import { getLocale, t } from './i18n.js';

/**
 * One site card. DOM hooks: `data-site-id`, `data-state` ("loading" | "ready" |
 * "error") on the card.
 */
export class SiteView {
  readonly el: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly note: HTMLParagraphElement;
  private readonly devices = new Map<string, DeviceView>();

  constructor(
    readonly site: Site,
    private readonly registerDevice: (view: DeviceView) => void,
    private readonly unregisterDevice: (deviceId: string) => void,
    href?: string,
  ) {
    const el = h('article', 'site');
    el.dataset.siteId = site.id;
    el.dataset.state = 'loading';
    const headingId = `site-${site.id}`;
    el.setAttribute('aria-labelledby', headingId);

    const header = h('header', 'site-header');
    const title = h('h3', 'site-name');
    title.id = headingId;
    if (href) {
      const link = h('a', 'site-link', site.name);
      link.href = href;
      title.append(link);
    } else {
      title.textContent = site.name;
    }
    header.append(title);
    if (!site.active) header.append(h('span', 'badge badge-muted', t('siteInactive')));
    if (site.address) header.append(h('p', 'site-address', site.address));

    this.list = h('ul', 'devices');
    this.note = h('p', 'site-note', t('loading'));
    el.append(header, this.list, this.note);
    this.el = el;
  }

  get timezone(): string {
    return this.site.timezone || DEFAULT_TIMEZONE;
  }

  /** Reconcile with a REST answer: update known devices in place, add new, drop revoked or removed. */
  setDevices(devices: readonly DeviceWithLatest[]): void {
    const seen = new Set<string>();
    for (const device of devices) {
      if (device.revokedAt !== null) continue;
      seen.add(device.id);
      let view = this.devices.get(device.id);
      if (view) {
        view.setDevice(device, this.timezone);
      } else {
        view = new DeviceView(device, this.timezone);
        this.devices.set(device.id, view);
        this.registerDevice(view);
      }
      if (device.latest) view.applyReading(device.latest.ts, device.latest.seq, device.latest.values, false);
    }
    for (const [id, view] of this.devices) {
      if (seen.has(id)) continue;
      view.el.remove();
      this.devices.delete(id);
      this.unregisterDevice(id);
    }
    const ordered = [...this.devices.values()].sort((a, b) => a.sortKey.localeCompare(b.sortKey, getLocale()));
    // Only reorder when needed: moving nodes is cheap, but not free, and refreshes are frequent after reconnects.
    if (ordered.some((view, i) => this.list.children[i] !== view.el)) this.list.replaceChildren(...ordered.map((v) => v.el));
    this.el.dataset.state = 'ready';
    this.note.hidden = this.devices.size > 0;
    setText(this.note, t('noDevices'));
    this.note.classList.remove('error');
  }

  showError(message: string): void {
    this.el.dataset.state = 'error';
    this.note.hidden = false;
    this.note.classList.add('error');
    setText(this.note, `${t('siteDevicesFailed')}: ${message}`);
  }
}

/** "杭州市 › 西湖区 › 北山街道" from a region path `/city/district/township/`. */
function regionTitle(region: Region | undefined, byId: ReadonlyMap<string, Region>): string {
  if (!region) return t('noRegion');
  const ids = region.path.split('/').filter(Boolean);
  if (ids.length === 0) return region.name;
  return ids.map((id) => byId.get(id)?.name ?? id).join(' › ');
}

/**
 * The page body: sites grouped under their region path. Keeps an index from
 * device id to its view, so a live reading updates one element in place.
 */
export class DashboardView {
  readonly sites = new Map<string, SiteView>();
  private readonly deviceViews = new Map<string, DeviceView>();

  /** `siteHref` gives each site card's title a link (to the site view). */
  constructor(container: HTMLElement, regions: readonly Region[], sites: readonly Site[], siteHref?: (siteId: string) => string) {
    const byId = new Map(regions.map((r) => [r.id, r]));
    const groups = new Map<string, { title: string; sortKey: string; sites: Site[] }>();
    for (const site of sites) {
      const region = byId.get(site.regionId);
      const key = region ? region.id : '';
      let group = groups.get(key);
      if (!group) {
        const title = regionTitle(region, byId);
        // Unassigned sites go last; the rest by their path of names.
        group = { title, sortKey: region ? `0${title}` : '1', sites: [] };
        groups.set(key, group);
      }
      group.sites.push(site);
    }

    const collator = new Intl.Collator(getLocale());
    const sections: HTMLElement[] = [];
    for (const [regionId, group] of [...groups].sort((a, b) => collator.compare(a[1].sortKey, b[1].sortKey))) {
      const section = h('section', 'region');
      if (regionId) section.dataset.regionId = regionId;
      const headingId = `region-${regionId || 'none'}`;
      section.setAttribute('aria-labelledby', headingId);
      const heading = h('h2', 'region-title', group.title);
      heading.id = headingId;
      const grid = h('div', 'site-grid');
      for (const site of group.sites.sort((a, b) => collator.compare(a.name, b.name))) {
        const view = new SiteView(
          site,
          (device) => this.deviceViews.set(device.id, device),
          (deviceId) => this.deviceViews.delete(deviceId),
          siteHref?.(site.id),
        );
        this.sites.set(site.id, view);
        grid.append(view.el);
      }
      section.append(heading, grid);
      sections.push(section);
    }
    if (sections.length === 0) sections.push(h('p', 'empty-page', t('noSites')));
    container.replaceChildren(...sections);
  }

  device(deviceId: string): DeviceView | undefined {
    return this.deviceViews.get(deviceId);
  }

  /** Once a second: refresh every reading's age. */
  tick(now: number): void {
    for (const view of this.deviceViews.values()) view.tick(now);
  }
}
