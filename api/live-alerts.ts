import type { Alert, Principal, RegionId, SiteId } from '../contracts/index.js';
import type { Logger } from '../observability/logger.js';
import type { RegistryStore } from '../store/index.js';
import type { LiveServer } from './live.js';
import type { AlertFeed, AlertLiveEvent } from './ports.js';

/**
 * Rooms by scope: every socket joins the one room its principal's scope names
 * (`scope:all`, `scope:region:<id>`, or `scope:site:<id>` per site). An alert is
 * emitted to the rooms that cover its site — all, each region on its site's path,
 * the site itself — in one emit, which socket.io delivers once per socket.
 */
const scopeRooms = (principal: Principal): string[] => {
  const { scope } = principal;
  if (scope.kind === 'all') return ['scope:all'];
  if (scope.kind === 'region') return [`scope:region:${scope.regionId}`];
  return scope.siteIds.map((id) => `scope:site:${id}`);
};

/** Pushes alert changes to every dashboard whose scope covers the site. */
export function attachAlertPush(io: LiveServer, feed: AlertFeed, registry: RegistryStore, logger: Logger): () => void {
  io.on('connection', (socket) => {
    void socket.join(scopeRooms(socket.data.principal));
  });

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
