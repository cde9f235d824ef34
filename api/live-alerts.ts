import type { Alert, AlertChange, RegionId, SiteId } from '../contracts/index.js';
import type { Logger } from '../observability/logger.js';
import type { RegistryStore } from '../store/index.js';
import type { LiveServer } from './live.js';
import type { AlertFeed, AlertLiveEvent } from './ports.js';

export interface AlertPushOptions {
  /**
   * Alert changes are sent at most once per this many ms to a room, as one
   * `alerts` event carrying every change since the last: the first change after
   * a quiet spell leaves at once (in the next event-loop turn), later ones wait
   * for the window. 0 sends each loop turn's changes together.
   */
  batchMs: number;
  /**
   * Frames the push may write per second, over all dashboards (a batch is one
   * frame to each socket in a room it goes to). After a batch of F frames the
   * next waits at least F / maxFramesPerSecond seconds, if that is longer than
   * `batchMs`: the push's CPU stays bounded however many dashboards connect,
   * and each of them waits longer for the next batch instead.
   */
  maxFramesPerSecond: number;
}

/**
 * Pushes alert changes to every dashboard whose scope covers the site, as
 * `alerts` batches.
 *
 * A change goes to the scope rooms (see `scopeRooms` in live.ts) that cover the
 * alert's site: all, each region on the site's path, the site itself. A socket
 * is in exactly one of the rooms covering any one site, so each socket gets
 * each change once. Batching is what lets 1,000 dashboards follow a city: one
 * socket.io event is one frame written to each socket, and at 200 alert changes
 * a second that was 200,000 frames a second; now it is at most one frame per
 * socket per window. A frame costs the server some 10 µs (a WebSocket frame and a
 * syscall): at 1,000 dashboards and a batch every 25 ms that was a third of a
 * core, taken from ingest; `maxFramesPerSecond` holds it to a budget.
 */
export function attachAlertPush(io: LiveServer, feed: AlertFeed, registry: RegistryStore, logger: Logger, options: AlertPushOptions): () => void {
  /** The rooms covering a site, from where the site is now (a site can move between townships). */
  const roomsFor = async (siteId: SiteId): Promise<string[]> => {
    const site = await registry.getSite(siteId);
    if (!site) return [];
    const region = await registry.getRegion(site.regionId);
    const regionIds: RegionId[] = region ? region.path.split('/').filter(Boolean) : [];
    return ['scope:all', `scope:site:${siteId}`, ...regionIds.map((id) => `scope:region:${id}`)];
  };

  const pending = new Map<string, AlertChange[]>();
  /** The earliest the next batch may leave (performance.now() ms). */
  let nextFlushAt = -Infinity;
  /** Cancels the scheduled flush, while one is. */
  let cancel: (() => void) | undefined;
  const flush = () => {
    cancel = undefined;
    let frames = 0;
    for (const [room, changes] of pending) {
      frames += io.sockets.adapter.rooms.get(room)?.size ?? 0;
      io.to(room).emit('alerts', changes);
    }
    pending.clear();
    nextFlushAt = performance.now() + Math.max(options.batchMs, (frames * 1000) / options.maxFramesPerSecond);
  };
  const schedule = () => {
    if (cancel) return;
    const waitMs = nextFlushAt - performance.now();
    if (waitMs > 0) {
      const timer = setTimeout(flush, waitMs);
      cancel = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(flush);
      cancel = () => clearImmediate(immediate);
    }
  };

  const push = (event: AlertLiveEvent) => (alert: Alert) => {
    roomsFor(alert.siteId).then(
      (rooms) => {
        const change: AlertChange = { event, alert };
        let queued = false;
        for (const room of rooms) {
          // Rooms nobody is in cost nothing.
          if (!io.sockets.adapter.rooms.get(room)?.size) continue;
          const changes = pending.get(room);
          if (changes) changes.push(change);
          else pending.set(room, [change]);
          queued = true;
        }
        if (queued) schedule();
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
    // What is already gathered still goes out.
    if (cancel) {
      cancel();
      flush();
    }
  };
}
