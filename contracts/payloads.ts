import { z } from 'zod';
import { catalogueShape, EARLIEST_DEVICE_TS, LATEST_DEVICE_TS } from './fields.js';
import { FIELDS_BY_KIND } from './device-kinds.js';
import { DEVICE_KINDS, type DeviceKind } from './ids.js';

/**
 * Payloads devices publish, as JSON. Every reading carries the device's own
 * timestamp (`ts`, epoch ms), a sequence number (`seq`) and a boot id (`boot`), so
 * readings buffered offline can arrive late and in batches, and a resend is
 * recognised: it repeats the reading, so its (device, boot, seq, ts) is known.
 *
 * Unknown fields are stripped, not rejected: zod objects drop keys they do not
 * declare. Newer firmware may add a field before the server knows it, and its
 * readings must still be stored; the extra field is simply not kept.
 */

/** Largest batch of buffered readings in one message. */
export const MAX_BATCH_READINGS = 500;
/** Device timestamps further ahead of the server clock than this are rejected. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;

const deviceTs = z.number().int().min(EARLIEST_DEVICE_TS).max(LATEST_DEVICE_TS);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const boot = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'boot id is 1-64 characters of A-Z a-z 0-9 _ . -');

const readingHeader = { ts: deviceTs, seq };

function readingSchema(kind: DeviceKind) {
  return z.object({ ...readingHeader, boot, ...catalogueShape(FIELDS_BY_KIND[kind]) });
}

function batchSchema(kind: DeviceKind) {
  return z.object({
    boot,
    readings: z
      .array(z.object({ ...readingHeader, ...catalogueShape(FIELDS_BY_KIND[kind]) }))
      .min(1)
      .max(MAX_BATCH_READINGS),
  });
}

type SchemaMap<T> = Readonly<Record<DeviceKind, T>>;

function byKind<T>(make: (kind: DeviceKind) => T): SchemaMap<T> {
  return Object.fromEntries(DEVICE_KINDS.map((k) => [k, make(k)])) as SchemaMap<T>;
}

/**
 * The shape of a batch before its readings are looked at: one malformed or
 * oversized batch is one quarantine entry, while each reading is then checked
 * on its own (a bad one does not cost the good ones).
 */
export const batchEnvelopeSchema = z.object({ boot, readings: z.array(z.unknown()).min(1).max(MAX_BATCH_READINGS) });

/** One reading, published on `telemetry`. */
export const READING_SCHEMAS = byKind(readingSchema);
/** Buffered readings, published on `telemetry-batch`; `boot` is given once. */
export const BATCH_SCHEMAS = byKind(batchSchema);

export type FieldValues = Record<string, number | boolean>;

/** A reading as the server understands it, whichever way it arrived. */
export interface DeviceReading {
  ts: number;
  seq: number;
  boot: string;
  values: FieldValues;
}

/** Device presence, published retained on `status` and set as the device's last will. */
export const statusSchema = z.object({
  online: z.boolean(),
  ts: deviceTs.optional(),
  boot: boot.optional(),
  firmware: z.string().max(64).optional(),
  reason: z.string().max(200).optional(),
});
export type DeviceStatus = z.infer<typeof statusSchema>;

/**
 * AI findings a kitchen camera reports (明厨亮灶 platforms). A finding is for a
 * human to confirm or dismiss: detectors mistake a cat for a rat.
 */
export const CAMERA_FINDING_TYPES = [
  'no_chef_hat',
  'no_mask',
  'mask_worn_wrongly',
  'no_work_clothes',
  'smoking',
  'phone_use',
  'rodent',
  'uncovered_bin',
  'unattended_flame',
  'unauthorised_person',
] as const;

export const cameraFindingSchema = z.object({
  ts: deviceTs,
  seq,
  boot,
  type: z.enum(CAMERA_FINDING_TYPES),
  confidence: z.number().min(0).max(1),
  zone: z.string().max(64).optional(),
  snapshotUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
});
export type CameraFinding = z.infer<typeof cameraFindingSchema>;
export type CameraFindingType = (typeof CAMERA_FINDING_TYPES)[number];

/**
 * The clock check the schemas cannot make alone, as it needs "now": a reading
 * dated in the future is from a device whose clock is wrong, and storing it would
 * misplace it on every chart. (Late readings are normal: devices buffer offline.)
 */
export function checkDeviceClock(ts: number, nowMs: number, maxFutureSkewMs: number): boolean {
  return ts <= nowMs + maxFutureSkewMs;
}
