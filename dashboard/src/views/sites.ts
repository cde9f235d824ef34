import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { DashboardView } from '../render.js';
import { loadingState, showFailure } from './view-kit.js';
import type { View, ViewFactory } from './view.js';

const UNKNOWN_DEVICE_REFRESH_MS = 10_000;

/**
 * `#/sites`: every site in the caller's scope grouped by region, each device with
 * its newest value, updated in place from the live socket. The landing view of
 * restaurant operators; supervisors reach it from the header.
 */
export const sitesView: ViewFactory = (ctx) => {
  const element = h('section', 'view view-sites');
  element.dataset.view = 'sites';
  const regions = h('div', 'regions');
  const legend = h('p', 'legend', t('legend'));
  element.append(regions, legend);
  const state = loadingState(element);

  let closed = false;
  let view: DashboardView | undefined;
  const stops: Array<() => void> = [];
  /** Sites with a device refresh in flight, and those that asked for another while it ran. */
  const refreshing = new Set<string>();
  const refreshAgain = new Set<string>();
  const unknownRefreshAt = new Map<string, number>();

  /** Re-read a site's devices; requests for a site already being read are merged into one more read. */
  function refresh(siteId: string): void {
    const site = view?.sites.get(siteId);
    if (!site || closed) return;
    if (refreshing.has(siteId)) {
      refreshAgain.add(siteId);
      return;
    }
    refreshing.add(siteId);
    ctx.api
      .devices(siteId)
      .then(
        (devices) => {
          if (!closed) site.setDevices(devices);
        },
        (error: unknown) => {
          if (closed || (error instanceof ApiError && error.unauthorized)) return;
          site.showError(error instanceof Error ? error.message : String(error));
        },
      )
      .finally(() => {
        refreshing.delete(siteId);
        if (refreshAgain.delete(siteId)) refresh(siteId);
      });
  }

  /**
   * An event for a device the page does not list: most likely added after the
   * page loaded. Re-read its site, but at most once per interval, so a device the
   * page deliberately hides (revoked) cannot cause a request per reading.
   */
  function refreshForUnknown(siteId: string): void {
    const now = Date.now();
    if (now - (unknownRefreshAt.get(siteId) ?? 0) < UNKNOWN_DEVICE_REFRESH_MS) return;
    unknownRefreshAt.set(siteId, now);
    refresh(siteId);
  }

  async function load(): Promise<void> {
    let loaded;
    try {
      loaded = await Promise.all([ctx.api.regions(), ctx.api.sites()]);
    } catch (error) {
      if (!closed) showFailure(state, error, () => void load());
      return;
    }
    if (closed) return;
    const [regionList, sites] = loaded;
    state.ready();
    const dashboard = new DashboardView(regions, regionList, sites, (siteId) => `#/sites/${encodeURIComponent(siteId)}`);
    view = dashboard;
    for (const site of sites) stops.push(ctx.live.watchSite(site.id));
    stops.push(
      ctx.live.on('reading:new', (r) => {
        const device = dashboard.device(r.deviceId);
        if (device) device.applyReading(r.ts, r.seq, r.values, true);
        else refreshForUnknown(r.siteId);
      }),
      ctx.live.on('device:presence', (p) => {
        const device = dashboard.device(p.deviceId);
        if (device) device.setPresence(p.online, p.at);
        else refreshForUnknown(p.siteId);
      }),
      ctx.live.on('finding:new', (f) => dashboard.device(f.deviceId)?.showFinding(f)),
      // Catch up on whatever happened while the socket was down.
      ctx.live.onResync(() => {
        for (const site of sites) refresh(site.id);
      }),
    );
    for (const site of sites) refresh(site.id);
    const ticker = setInterval(() => dashboard.tick(Date.now()), 1000);
    stops.push(() => clearInterval(ticker));
  }

  void load();

  const result: View = {
    element,
    close() {
      closed = true;
      for (const stop of stops.splice(0)) stop();
    },
  };
  return result;
};
