import { z } from 'zod';
import { regionIdSchema } from './ids.js';
import { regionSchema, siteSchema } from './registry.js';
import { severitySchema } from './alerts.js';

/**
 * The jurisdiction overview (`GET /api/v1/overview`): the figures regulators count
 * for one region, for each region directly below it, and for its sites.
 *
 * "Today" is the calendar day in {@link OVERVIEW_DEFAULT_TIMEZONE} (or the
 * `timezone` asked for): a city's supervisors share one working day even when a
 * site is elsewhere. The rectification rate and the time to acknowledge cover the
 * last `days` days (default 30), since one day is too few alerts for a rate.
 */
export const OVERVIEW_DEFAULT_TIMEZONE = 'Asia/Shanghai';
export const OVERVIEW_DEFAULT_DAYS = 30;
/** At most this many sites are listed, worst first; `sitesListed` says how many are. */
export const OVERVIEW_MAX_SITES = 500;

export const overviewQuerySchema = z.object({
  regionId: regionIdSchema.optional().describe('the region to show; default: the top of your scope'),
  timezone: z
    .string()
    .max(64)
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'an IANA time zone, e.g. Asia/Shanghai')
    .optional()
    .describe(`whose calendar day "today" is; default ${OVERVIEW_DEFAULT_TIMEZONE}`),
  days: z.coerce.number().int().min(1).max(90).default(OVERVIEW_DEFAULT_DAYS).describe('period of the rectification rate and time to acknowledge'),
});
export type OverviewQuery = z.infer<typeof overviewQuerySchema>;

const onlineCount = z.object({
  total: z.number().int(),
  online: z.number().int(),
  /** online / total; null without devices. */
  rate: z.number().nullable(),
});

export const overviewKpisSchema = z.object({
  /** Active sites. */
  sites: z.number().int(),
  /** Every registered (not revoked) device of active sites, cameras included. */
  devices: onlineCount,
  cameras: onlineCount,
  /** Alerts not yet resolved (open or acknowledged), by severity. */
  openAlerts: z.object({ info: z.number().int(), warning: z.number().int(), critical: z.number().int(), total: z.number().int() }),
  /** Of those, not yet acknowledged by anyone. */
  unacknowledged: z.number().int(),
  /** Alerts created today. */
  raisedToday: z.number().int(),
  /** Alerts resolved today with a corrective action (整改). */
  rectifiedToday: z.number().int(),
  /** 整改率: of the period's alerts, less dismissed findings (open ones included), the share resolved with a corrective action; null when none. */
  rectificationRate: z.number().nullable(),
  /** Median time from an alert's creation to its acknowledgement, over the period's acknowledged alerts. */
  medianAckMs: z.number().nullable(),
});
export type OverviewKpis = z.infer<typeof overviewKpisSchema>;

export const overviewSiteSchema = z.object({
  site: siteSchema,
  /** The most severe open alert, or null when the site has none. */
  worstSeverity: severitySchema.nullable(),
  kpis: overviewKpisSchema,
});
export type OverviewSite = z.infer<typeof overviewSiteSchema>;

export const overviewSchema = z.object({
  /** The region shown; null for "everything you may see" (an admin's top, an operator's sites). */
  region: regionSchema.nullable(),
  /** The regions above it, city first; `openable` when the caller's scope covers it (a district supervisor sees the city's name only). */
  ancestors: z.array(regionSchema.extend({ openable: z.boolean() })),
  day: z.object({ timezone: z.string(), start: z.number().int(), end: z.number().int() }),
  period: z.object({ days: z.number().int(), start: z.number().int(), end: z.number().int() }),
  totals: overviewKpisSchema,
  /** The regions directly below (districts of a city, townships of a district), each with its figures. */
  children: z.array(z.object({ region: regionSchema, worstSeverity: severitySchema.nullable(), kpis: overviewKpisSchema })),
  /** Sites in the region and below, worst open alert first. */
  sites: z.array(overviewSiteSchema),
  /** How many sites there are in all (the list stops at {@link OVERVIEW_MAX_SITES}). */
  sitesTotal: z.number().int(),
});
export type Overview = z.infer<typeof overviewSchema>;
