import type { DeviceId } from './ids.js';
import type { UplinkChannel } from './topics.js';

/**
 * A message a device published, as the broker hands it to ingest. Ingest does not
 * know which broker delivered it: the embedded aedes broker today, a bridge from an
 * external broker tomorrow.
 */
export interface DeviceMessage {
  deviceId: DeviceId;
  channel: UplinkChannel;
  payload: Buffer;
  /** Server clock when the message arrived, epoch ms. */
  receivedAt: number;
  /**
   * The MQTT DUP flag: the device sent this message before and never saw its
   * PUBACK [MQTT-3.3.1-1], so it may be any age (a store outage, server downtime).
   */
  dup?: boolean;
}

/** What ingest made of a message. Every outcome is acknowledged to the device. */
export type IngestOutcome =
  | { status: 'stored'; stored: number; duplicates: number }
  | { status: 'quarantined'; reason: QuarantineReason };

/** Why a payload was rejected: stable codes, counted in metrics and kept in the quarantine. */
export const QUARANTINE_REASONS = [
  'not_json',
  'invalid_payload',
  'timestamp_in_future',
  'clock_behind',
  /** Dated before the store's raw retention: it would be pruned within the hour. */
  'older_than_retention',
  'unknown_device',
  'wrong_kind',
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];
