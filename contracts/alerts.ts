import { z } from 'zod';
import { deviceIdSchema, regionIdSchema, siteIdSchema } from './ids.js';
import { CAMERA_FINDING_TYPES } from './payloads.js';

/** How urgent an alert is. `critical` wakes someone up; `info` never notifies outside the dashboard. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

/**
 * Every rule the engine evaluates. A rule's limits come from the active rule pack
 * (alerts/rules/), overridable per site and device; the ids are stable API.
 */
export const CONDITION_RULES = [
  'temperature_high',
  'temperature_low',
  'danger_zone',
  'no_data',
  'device_offline',
  'battery_low',
  'door_open',
  'oil_fill_high',
  'oil_overflow',
  'oil_effluent_high',
  'oil_pump_out_overdue',
  'oil_full_forecast',
  'camera_offline',
  'camera_not_streaming',
  'camera_lens_occluded',
  'camera_lens_moved',
  'camera_storage_low',
  'anomaly',
] as const;
export type ConditionRuleId = (typeof CONDITION_RULES)[number];

/**
 * AI camera findings become alerts too, one rule per finding type
 * (`finding.no_mask`): a person confirms or dismisses them; they are never verdicts.
 */
export type FindingRuleId = `finding.${(typeof CAMERA_FINDING_TYPES)[number]}`;
export type RuleId = ConditionRuleId | FindingRuleId;
export const RULE_IDS: readonly RuleId[] = [...CONDITION_RULES, ...CAMERA_FINDING_TYPES.map((t) => `finding.${t}` as FindingRuleId)];
export const ruleIdSchema = z.enum(RULE_IDS as [RuleId, ...RuleId[]]);

/** JSON-safe extra facts of a condition (limit crossed, minutes in the danger zone, forecast time). */
export type ConditionDetail = Record<string, number | string | boolean | null>;

/**
 * A rule's verdict about one device, reported when it changes: the condition
 * became active, cleared, or (while active) changed severity.
 */
export interface Condition {
  rule: ConditionRuleId;
  active: boolean;
  severity: Severity;
  /** When the condition started (active) or ended (cleared), epoch ms. */
  at: number;
  /** The observed value that decided it, if there is one (°C, %, mg/L, score). */
  value: number | null;
  /** The limit it was judged against, if there is one. */
  limit: number | null;
  /** One English sentence for logs and webhooks; dashboards translate by rule id and `detail`. */
  message: string;
  detail?: ConditionDetail;
}

/**
 * An alert's life: `open` (nobody has taken it) → `acknowledged` (someone owns
 * it) → `resolved`. An alert resolves by itself when its condition clears, or by a
 * person with a corrective-action note; an AI finding is confirmed or dismissed.
 */
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export const alertStateSchema = z.enum(ALERT_STATES);
export type AlertState = z.infer<typeof alertStateSchema>;

/**
 * How an alert ended: `cleared` (the condition went away by itself), `corrected`
 * (a person resolved it with a corrective action), `dismissed` (a finding that was
 * wrong, e.g. a cat flagged as a rat).
 */
export const RESOLUTIONS = ['cleared', 'corrected', 'dismissed'] as const;
export const resolutionSchema = z.enum(RESOLUTIONS);
export type Resolution = z.infer<typeof resolutionSchema>;

/** `condition`: a rule's verdict about readings or presence; `finding`: an AI camera event awaiting a person's verdict. */
export const ALERT_CATEGORIES = ['condition', 'finding'] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

/** A person's verdict on an AI finding. */
export const FINDING_VERDICTS = ['pending', 'confirmed', 'dismissed'] as const;
export type FindingVerdict = (typeof FINDING_VERDICTS)[number];

/** Jurisdiction levels an unacknowledged alert climbs: the site's township, then the district, then the city. */
export const ESCALATION_LEVELS = ['township', 'district', 'city'] as const;
export type EscalationLevel = (typeof ESCALATION_LEVELS)[number];

const detailSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));

export const alertSchema = z.object({
  id: z.number().int(),
  deviceId: deviceIdSchema,
  siteId: siteIdSchema,
  rule: ruleIdSchema,
  category: z.enum(ALERT_CATEGORIES),
  severity: severitySchema,
  state: alertStateSchema,
  /** When the condition started (device clock for reading rules), epoch ms. */
  raisedAt: z.number().int(),
  /** When the alert was created (server clock): time to acknowledge and to resolve count from here. */
  createdAt: z.number().int(),
  /** Last time the condition was reported again or changed. */
  lastSeenAt: z.number().int(),
  /** While a flapping alert is held open: when its condition last cleared. */
  clearedAt: z.number().int().nullable(),
  value: z.number().nullable(),
  limit: z.number().nullable(),
  message: z.string(),
  detail: detailSchema,
  /** How many times the condition was reported while this alert was active. */
  occurrences: z.number().int(),
  acknowledgedAt: z.number().int().nullable(),
  acknowledgedBy: z.string().nullable(),
  assignee: z.string().nullable(),
  resolvedAt: z.number().int().nullable(),
  resolvedBy: z.string().nullable(),
  resolution: resolutionSchema.nullable(),
  correctiveAction: z.string().nullable(),
  verdict: z.enum(FINDING_VERDICTS).nullable(),
  escalation: z.enum(ESCALATION_LEVELS),
  /** Raised again and again in a short time: held open until quiet, notifications suppressed. */
  flapping: z.boolean(),
  /** Notifications sent for this alert (capped). */
  notifications: z.number().int(),
  /** When the last notification (raise, escalation, reminder) went out. */
  notifiedAt: z.number().int().nullable(),
  updatedAt: z.number().int(),
});
export type Alert = z.infer<typeof alertSchema>;

/** Every change to an alert, with who did it (a user id, or `system`) and when. */
export const ALERT_EVENT_TYPES = [
  'raised',
  'updated',
  'acknowledged',
  'commented',
  'assigned',
  'confirmed',
  'resolved',
  'escalated',
  'reminded',
  'flapping',
] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

export const alertEventSchema = z.object({
  id: z.number().int(),
  alertId: z.number().int(),
  at: z.number().int(),
  actor: z.string(),
  type: z.enum(ALERT_EVENT_TYPES),
  /** The comment, corrective action, assignee or reason, if the change has one. */
  text: z.string().nullable(),
  detail: detailSchema.nullable(),
});
export type AlertEvent = z.infer<typeof alertEventSchema>;

/** The actor recorded for changes the engine makes by itself. */
export const SYSTEM_ACTOR = 'system';

/** A user action that does not fit the alert's state (acknowledging a resolved alert). */
export class AlertTransitionError extends Error {
  constructor(
    readonly code: 'invalid_transition' | 'not_a_finding' | 'finding_unverified',
    message: string,
  ) {
    super(message);
    this.name = 'AlertTransitionError';
  }
}

// ---- REST -----------------------------------------------------------------

export const alertParamsSchema = z.object({ alertId: z.coerce.number().int().min(1) });

export const alertListQuerySchema = z.object({
  state: z
    .union([alertStateSchema, z.literal('active')])
    .optional()
    .describe('`active` = open or acknowledged'),
  severity: severitySchema.optional(),
  rule: ruleIdSchema.optional(),
  category: z.enum(ALERT_CATEGORIES).optional(),
  siteId: siteIdSchema.optional(),
  deviceId: deviceIdSchema.optional(),
  regionId: regionIdSchema.optional().describe('this region and every region below it'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional().describe('page: alerts with a smaller id'),
});
export type AlertListQuery = z.infer<typeof alertListQuerySchema>;

const note = z.string().trim().min(1).max(2_000);
export const commentBodySchema = z.strictObject({ text: note });
export const assignBodySchema = z.strictObject({ assignee: z.string().trim().min(1).max(100).nullable() });
export const resolveBodySchema = z.strictObject({
  correctiveAction: note.describe('what was done about it (required: auditors read it)'),
});
export const dismissBodySchema = z.strictObject({ reason: note });

export const alertWithEventsSchema = alertSchema.extend({ events: z.array(alertEventSchema) });

export const analyticsQuerySchema = z
  .object({
    from: z.coerce.number().int().min(0),
    to: z.coerce.number().int().min(0),
    regionId: regionIdSchema.optional(),
    siteId: siteIdSchema.optional(),
  })
  .refine((q) => q.to > q.from, { message: '`to` must be after `from`', path: ['to'] });

const durationStats = z.object({
  count: z.number().int(),
  meanMs: z.number().nullable(),
  medianMs: z.number().nullable(),
  p90Ms: z.number().nullable(),
});
export const alertAnalyticsSchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  raised: z.number().int(),
  resolved: z.number().int(),
  /** Resolved with a corrective action (整改). */
  rectified: z.number().int(),
  dismissed: z.number().int(),
  /** 整改率: rectified / (raised − dismissed), open alerts included; null when nothing counts. */
  rectificationRate: z.number().nullable(),
  open: z.number().int(),
  timeToAcknowledge: durationStats,
  timeToResolve: durationStats,
  byRule: z.array(z.object({ rule: z.string(), raised: z.number().int(), rectified: z.number().int() })),
  bySite: z.array(z.object({ siteId: z.string(), raised: z.number().int(), open: z.number().int() })),
  bySeverity: z.array(z.object({ severity: severitySchema, raised: z.number().int() })),
});
export type AlertAnalytics = z.infer<typeof alertAnalyticsSchema>;
