import type { DeviceId, DeviceKind, SiteId } from './ids.js';
import type { Alert } from './alerts.js';
import type { FieldValues } from './payloads.js';

/**
 * socket.io event maps, shared by the server (api/) and every client (dashboard,
 * tests). Event names are `domain:verb`.
 */

/** A stored reading as pushed live. Throttled per device: the newest wins. */
export interface LiveReading {
  deviceId: DeviceId;
  siteId: SiteId;
  kind: DeviceKind;
  ts: number;
  seq: number;
  values: FieldValues;
}

export interface PresenceChange {
  deviceId: DeviceId;
  siteId: SiteId;
  online: boolean;
  at: number;
}

export interface LiveFinding {
  deviceId: DeviceId;
  siteId: SiteId;
  ts: number;
  type: string;
  confidence: number;
}

/** Acknowledgement of a client request: `{ ok: true, data } | { ok: false, code, message }`. */
export type Ack<T> = { ok: true; data: T } | { ok: false; code: string; message: string };

export interface ServerToClientEvents {
  'reading:new': (reading: LiveReading) => void;
  'device:presence': (change: PresenceChange) => void;
  'finding:new': (finding: LiveFinding) => void;
  /**
   * Alert changes go to every dashboard whose scope covers the alert's site,
   * without subscribing: a supervisor sees the whole jurisdiction's alerts.
   * They come in batches, in the order they happened: at most one event per
   * SK_LIVE_ALERT_BATCH_MS, the first after a quiet spell at once.
   */
  alerts: (changes: AlertChange[]) => void;
}

/** One alert change in an `alerts` batch. */
export interface AlertChange {
  event: 'alert:raised' | 'alert:updated' | 'alert:resolved';
  alert: Alert;
}

export interface ClientToServerEvents {
  /** Start receiving a site's live events. */
  'site:subscribe': (siteId: SiteId, ack: (result: Ack<{ siteId: SiteId }>) => void) => void;
  'site:unsubscribe': (siteId: SiteId, ack: (result: Ack<{ siteId: SiteId }>) => void) => void;
}
