import { z } from 'zod';

/**
 * Identifiers of devices, sites and regions.
 *
 * A device id is also its MQTT username and client id, and a topic level, so it
 * must not contain `/`, `+`, `#` or start with `$` ([MQTT-4.7.1-1], [MQTT-4.7.2-1]).
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const deviceIdSchema = z
  .string()
  .regex(ID_PATTERN, 'ids are 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit');
export const siteIdSchema = deviceIdSchema;
export const regionIdSchema = deviceIdSchema;

export type DeviceId = string;
export type SiteId = string;
export type RegionId = string;

export const DEVICE_KINDS = ['temperature', 'oil_separator', 'camera'] as const;
export const deviceKindSchema = z.enum(DEVICE_KINDS);
export type DeviceKind = z.infer<typeof deviceKindSchema>;
