import type { Alert, EscalationLevel, RegionId, Site } from '../../contracts/index.js';
import type { NotificationKind } from '../lifecycle.js';

/**
 * One message about an alert, for people outside the dashboard. `audience` says
 * whose jurisdiction it is for: the site's township at first, then its district
 * and city as an unacknowledged alert escalates.
 */
export interface AlertNotification {
  /** The same for every retry of one delivery, so a receiver can drop duplicates. */
  deliveryId: string;
  kind: NotificationKind;
  alert: Alert;
  site: Pick<Site, 'id' | 'name' | 'timezone'> | null;
  audience: { level: EscalationLevel; regionId: RegionId | null };
  /** Server clock, epoch ms. */
  createdAt: number;
}

/**
 * An external channel (webhook, SMS, email, WeCom): one file each implementing
 * this. `send` resolves once the channel accepted the message and throws a
 * {@link DeliveryError} saying whether trying again could help; retries, backoff
 * and metrics belong to the dispatcher, not to the channel.
 */
export interface Notifier {
  readonly channel: string;
  send(notification: AlertNotification, signal: AbortSignal): Promise<void>;
}

/** A failed delivery; `retryable` is the channel's judgement (timeouts and 5xx yes, a 400 no). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The channel asked to wait this long before the next try (HTTP Retry-After). */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}
