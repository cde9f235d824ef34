import { z } from 'zod';
import { deviceIdSchema, deviceKindSchema, regionIdSchema, siteIdSchema } from './ids.js';
import { deviceProfileSchema, deviceSchema, regionLevelSchema, regionSchema, siteSchema } from './registry.js';
import { QUARANTINE_REASONS } from './messages.js';
import { UPLINK_CHANNELS } from './topics.js';
import { CAMERA_FINDING_TYPES } from './payloads.js';

/** REST request and response schemas; the OpenAPI document is generated from them. */

export const errorResponseSchema = z.object({
  code: z.string().describe('stable machine-readable code'),
  message: z.string(),
});
export type ErrorResponse = z.infer<typeof errorResponseSchema>;

export const regionParamsSchema = z.object({ regionId: regionIdSchema });
export const siteParamsSchema = z.object({ siteId: siteIdSchema });
export const deviceParamsSchema = z.object({ deviceId: deviceIdSchema });

export const createRegionSchema = z.strictObject({
  id: regionIdSchema,
  name: z.string().min(1).max(100),
  level: regionLevelSchema,
  parentId: regionIdSchema.nullable(),
});

export const createSiteSchema = z.strictObject({
  id: siteIdSchema,
  name: z.string().min(1).max(200),
  regionId: regionIdSchema,
  address: z.string().max(300).nullable().optional(),
  timezone: z.string().min(1).max(64).default('Asia/Shanghai'),
});

export const createDeviceSchema = z.strictObject({
  id: deviceIdSchema,
  siteId: siteIdSchema,
  kind: deviceKindSchema,
  label: z.string().min(1).max(100),
  profile: deviceProfileSchema,
  expectedIntervalS: z.number().int().min(1).max(86_400).default(30),
});

/** The only response that ever carries a device secret: shown once, stored hashed. */
export const createdDeviceSchema = z.object({ device: deviceSchema, secret: z.string() });

export const siteListQuerySchema = z.object({ regionId: regionIdSchema.optional() });

export const latestReadingSchema = z.object({
  deviceId: deviceIdSchema,
  kind: deviceKindSchema,
  ts: z.number().int(),
  seq: z.number().int(),
  boot: z.string(),
  receivedAt: z.number().int(),
  values: z.record(z.string(), z.union([z.number(), z.boolean()])),
});

export const deviceWithLatestSchema = deviceSchema.extend({ latest: latestReadingSchema.nullable() });

/** Largest `points` a history request may ask for. */
export const MAX_HISTORY_POINTS = 5_000;
/** Longest range one history request may span. */
export const MAX_HISTORY_RANGE_MS = 400 * 86_400_000;

export const historyQuerySchema = z
  .object({
    field: z.string().min(1).max(64),
    from: z.coerce.number().int().min(0),
    to: z.coerce.number().int().min(0),
    points: z.coerce.number().int().min(1).max(MAX_HISTORY_POINTS).default(1_000),
  })
  .refine((q) => q.to > q.from, { message: '`to` must be after `from`', path: ['to'] })
  .refine((q) => q.to - q.from <= MAX_HISTORY_RANGE_MS, { message: 'range is longer than 400 days', path: ['from'] });

export const historyResponseSchema = z.object({
  deviceId: deviceIdSchema,
  field: z.string(),
  from: z.number(),
  to: z.number(),
  bucketMs: z.number(),
  points: z.array(z.object({ t: z.number(), min: z.number(), max: z.number(), mean: z.number(), count: z.number() })),
});

export type HistoryResponse = z.infer<typeof historyResponseSchema>;

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional(),
});

export const quarantineQuerySchema = pageQuerySchema.extend({ deviceId: deviceIdSchema.optional() });

export const quarantineEntrySchema = z.object({
  id: z.number().int(),
  deviceId: deviceIdSchema.nullable(),
  channel: z.enum(UPLINK_CHANNELS),
  reason: z.enum(QUARANTINE_REASONS),
  detail: z.string(),
  receivedAt: z.number().int(),
  payloadBytes: z.number().int(),
  /** The payload as UTF-8 text, cut at 4 KiB. */
  payloadPreview: z.string(),
});

/** A quarantine entry as the API returns it (the payload cut to a preview). */
export type QuarantineEntryView = z.infer<typeof quarantineEntrySchema>;

export const findingSchema = z.object({
  deviceId: deviceIdSchema,
  ts: z.number().int(),
  seq: z.number().int(),
  type: z.enum(CAMERA_FINDING_TYPES),
  confidence: z.number(),
  zone: z.string().optional(),
  snapshotUrl: z.string().optional(),
  receivedAt: z.number().int(),
});

export { regionSchema, siteSchema, deviceSchema };
