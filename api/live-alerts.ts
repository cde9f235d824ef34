import type { Alert, RegionId, SiteId } from '../contracts/index.js';
import type { Logger } from '../observability/logger.js';
import type { RegistryStore } from '../store/index.js';
import type { LiveServer } from './live.js';
import type { AlertFeed, AlertLiveEvent } from './ports.js';

/**
 * Alerts go to the scope rooms (see `scopeRooms` in live.ts) that cover the
 * alert's site — all, each region on the site's path, the site itself — in one
 * emit, which socket.io delivers once per socket.
 */
/** Pushes alert changes to every dashboard whose scope covers the site. */
export function attachAlertPush(io: LiveServer, feed: AlertFeed, registry: RegistryStore, logger: Logger): () => void {
  /** The rooms covering a site, from where the site is now (a site can move between townships). */
  const roomsFor = async (siteId: SiteId): Promise<string[]> => {
    const site = await registry.getSite(siteId);
    if (!site) return [];
    const region = await registry.getRegion(site.regionId);
    const regionIds: RegionId[] = region ? region.path.split('/').filter(Boolean) : [];
    return ['scope:all', `scope:site:${siteId}`, ...regionIds.map((id) => `scope:region:${id}`)];
  };

  const push = (event: AlertLiveEvent) => (alert: Alert) => {
    roomsFor(alert.siteId).then(
      (rooms) => {
        if (rooms.length > 0) io.to(rooms).emit(event, alert);
      },
      (error: unknown) => logger.error({ err: error, alertId: alert.id }, 'could not push alert'),
    );
  };
  const listeners = new Map<AlertLiveEvent, (alert: Alert) => void>(
    (['alert:raised', 'alert:updated', 'alert:resolved'] as const).map((event) => [event, push(event)]),
  );
  for (const [event, listener] of listeners) feed.on(event, listener);
  return () => {
    for (const [event, listener] of listeners) feed.off(event, listener);
  };
}
