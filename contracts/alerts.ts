import { z } from 'zod';
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
