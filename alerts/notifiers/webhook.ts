import { createHmac } from 'node:crypto';
import { DeliveryError, type AlertNotification, type Notifier } from './notifier.js';

export interface WebhookOptions {
  url: string;
  /** Signs each body with HMAC-SHA256 so the receiver can check it came from us. */
  secret?: string;
  /** Per attempt. */
  timeoutMs?: number;
}

/**
 * POSTs each notification as JSON. Headers: `x-sk-delivery` (stable across
 * retries: the receiver's idempotency key), `x-sk-event` (`alert.raised` …) and,
 * with a secret, `x-sk-signature: sha256=<hex HMAC of the body>`.
 */
export class WebhookNotifier implements Notifier {
  readonly channel = 'webhook';
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify({ event: `alert.${notification.kind}`, ...notification });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'sunshine-kitchen-webhook/1',
      'x-sk-delivery': notification.deliveryId,
      'x-sk-event': `alert.${notification.kind}`,
    };
    if (this.options.secret) headers['x-sk-signature'] = `sha256=${createHmac('sha256', this.options.secret).update(body).digest('hex')}`;
    let response: Response;
    try {
      response = await fetch(this.options.url, { method: 'POST', headers, body, signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) });
    } catch (error) {
      // Refused, reset, DNS, timeout: the receiver may be back soon.
      throw new DeliveryError(`webhook unreachable: ${(error as Error).message}`, true, undefined, { cause: error });
    }
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
    const retryAfterS = Number(response.headers.get('retry-after'));
    throw new DeliveryError(`webhook answered ${response.status}`, retryable, Number.isFinite(retryAfterS) && retryAfterS > 0 ? retryAfterS * 1000 : undefined);
  }
}
