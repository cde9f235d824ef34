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
export function attachAlertPush(io: LiveServer, feed: AlertFeed, registry: RegistryStore, logger: Logger, batchMs = 50): () => void {
  /** The rooms covering a site, from where the site is now (a site can move between townships). */
  const roomsFor = async (siteId: SiteId): Promise<string[]> => {
    const site = await registry.getSite(siteId);
    if (!site) return [];
    const region = await registry.getRegion(site.regionId);
    const regionIds: RegionId[] = region ? region.path.split('/').filter(Boolean) : [];
    return ['scope:all', `scope:site:${siteId}`, ...regionIds.map((id) => `scope:region:${id}`)];
  };

  const bursts = new BurstSender(batchMs);
  const push = (event: AlertLiveEvent) => (alert: Alert) => {
    roomsFor(alert.siteId).then(
      (rooms) => {
        if (rooms.length > 0) bursts.send(() => io.to(rooms).emit(event, alert));
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
    bursts.stop();
  };
}

/**
 * Sends in bursts: the first push after a quiet `windowMs` goes at once; pushes
 * within the window wait for its end and go together, in order. A thousand
 * dashboards and a hundred alert changes a second are 100,000 WebSocket frames a
 * second; sent in one turn, a socket's frames queue behind its first write and
 * leave together, rather than one write (one syscall) per frame as they come.
 */
export class BurstSender {
  private queue: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowMs: number) {}

  send(emit: () => void): void {
    const now = performance.now();
    if (this.windowMs <= 0 || (!this.timer && now - this.lastFlush >= this.windowMs)) {
      this.lastFlush = now;
      emit();
      return;
    }
    this.queue.push(emit);
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.lastFlush + this.windowMs - now));
  }

  private flush(): void {
    this.timer = undefined;
    this.lastFlush = performance.now();
    const queue = this.queue;
    this.queue = [];
    for (const emit of queue) emit();
  }

  /** Sends what is waiting now. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.flush();
  }
}
