import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Alert, EscalationLevel, RegionId } from '../../contracts/index.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { RegistryStore } from '../../store/index.js';
import type { NotificationKind } from '../lifecycle.js';
import { DeliveryError, type AlertNotification, type Notifier } from './notifier.js';

export interface RetryPolicy {
  /** Tries per notification and channel, the first included. */
  attempts: number;
  /** Delay before the second try; doubled each time, with ±20% jitter, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

const DEPTH: Readonly<Record<EscalationLevel, number>> = { city: 0, district: 1, township: 2 };

export interface DispatcherOptions {
  notifiers: readonly Notifier[];
  registry: RegistryStore;
  retry: RetryPolicy;
  metrics: Metrics;
  logger: Logger;
  clock: () => number;
}

/**
 * Sends each notification to every channel, each with its own retries and
 * exponential backoff, without holding up the caller. Retries live in memory: a
 * notification still being retried when the process stops is given up (and
 * logged); the alert itself is durable and stays visible in the dashboard.
 */
export class NotificationDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stop = new AbortController();

  constructor(private readonly options: DispatcherOptions) {}

  dispatch(kind: NotificationKind, alert: Alert): void {
    if (this.options.notifiers.length === 0 || this.stop.signal.aborted) return;
    const work = this.build(kind, alert).then(
      (notification) => Promise.all(this.options.notifiers.map((n) => this.deliver(n, notification))).then(() => undefined),
      (error: unknown) => this.options.logger.error({ err: error, alertId: alert.id }, 'could not prepare notification'),
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Waits until every notification is delivered or given up. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Abandons retries still waiting and waits for attempts under way to end. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.idle();
  }

  private async deliver(notifier: Notifier, notification: AlertNotification): Promise<void> {
    const { retry, metrics, logger } = this.options;
    const log = { channel: notifier.channel, alertId: notification.alert.id, kind: notification.kind, deliveryId: notification.deliveryId };
    for (let attempt = 1; ; attempt++) {
      try {
        await notifier.send(notification, this.stop.signal);
        metrics.notifications.inc({ channel: notifier.channel, outcome: 'sent' });
        return;
      } catch (error) {
        const retryable = error instanceof DeliveryError ? error.retryable : true;
        if (!retryable || attempt >= retry.attempts || this.stop.signal.aborted) {
          metrics.notifications.inc({ channel: notifier.channel, outcome: 'failed' });
          logger.warn({ ...log, err: error, attempt }, 'notification given up');
          return;
        }
        const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
        const wait = Math.max(backoff, error instanceof DeliveryError ? (error.retryAfterMs ?? 0) : 0);
        logger.debug({ ...log, err: (error as Error).message, attempt, retryInMs: Math.round(wait) }, 'notification failed; will retry');
        try {
          await sleep(Math.min(wait, retry.maxDelayMs), undefined, { signal: this.stop.signal });
        } catch {
          // Aborted by close(): the next loop turn gives up.
        }
      }
    }
  }

  private async build(kind: NotificationKind, alert: Alert): Promise<AlertNotification> {
    const site = await this.options.registry.getSite(alert.siteId);
    return {
      deliveryId: randomUUID(),
      kind,
      alert,
      site: site ? { id: site.id, name: site.name, timezone: site.timezone } : null,
      audience: { level: alert.escalation, regionId: site ? await this.regionAt(site.regionId, alert.escalation) : null },
      createdAt: this.options.clock(),
    };
  }

  /** The site's region at an escalation level: walk up from the site's own region (a site filed under a district stays there). */
  private async regionAt(regionId: RegionId, level: EscalationLevel): Promise<RegionId | null> {
    let region = await this.options.registry.getRegion(regionId);
    while (region?.parentId && DEPTH[region.level] > DEPTH[level]) region = await this.options.registry.getRegion(region.parentId);
    return region?.id ?? null;
  }
}
