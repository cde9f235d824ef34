import { z } from 'zod';
import { deviceIdSchema, deviceKindSchema, regionIdSchema, siteIdSchema } from './ids.js';

/** Jurisdiction levels, city → district → township (市、县、乡三级). */
export const REGION_LEVELS = ['city', 'district', 'township'] as const;
export const regionLevelSchema = z.enum(REGION_LEVELS);
export type RegionLevel = z.infer<typeof regionLevelSchema>;

/** The level a region's children must have. */
export const CHILD_LEVEL: Readonly<Record<RegionLevel, RegionLevel | undefined>> = {
  city: 'district',
  district: 'township',
  township: undefined,
};

export const regionSchema = z.object({
  id: regionIdSchema,
  name: z.string().min(1).max(100),
  level: regionLevelSchema,
  parentId: regionIdSchema.nullable(),
  /** Ids from the city down to this region, `/city/district/township/`: scoping is a prefix match. */
  path: z.string(),
});
export type Region = z.infer<typeof regionSchema>;

export const siteSchema = z.object({
  id: siteIdSchema,
  name: z.string().min(1).max(200),
  regionId: regionIdSchema,
  address: z.string().max(300).nullable(),
  /** IANA zone the site's times are shown in; stored times are UTC. */
  timezone: z.string().min(1).max(64),
  active: z.boolean(),
});
export type Site = z.infer<typeof siteSchema>;

/**
 * Temperature profiles; each selects default alarm limits in the alert engine
 * (chilled 0–8 °C, frozen ≤ −18 °C, hot holding ≥ 60 °C, see domain.md).
 */
export const DEVICE_PROFILES = ['chilled', 'frozen', 'hot_holding', 'ambient', 'oil_separator', 'camera'] as const;
export const deviceProfileSchema = z.enum(DEVICE_PROFILES);
export type DeviceProfile = z.infer<typeof deviceProfileSchema>;

export const deviceSchema = z.object({
  id: deviceIdSchema,
  siteId: siteIdSchema,
  kind: deviceKindSchema,
  label: z.string().min(1).max(100),
  profile: deviceProfileSchema,
  /** How often the device is expected to report; "no data" is judged against it. */
  expectedIntervalS: z.number().int().min(1).max(86_400),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
  online: z.boolean(),
  /** Last connect or disconnect (server clock). */
  presenceChangedAt: z.number().int().nullable(),
});
export type Device = z.infer<typeof deviceSchema>;
