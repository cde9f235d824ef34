import type { z } from 'zod';
import type { Condition, ConditionDetail, ConditionRuleId, FieldValues, Severity } from '../../contracts/index.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** A numeric field of a reading, or undefined if the reading does not carry it. */
export function numberField(values: FieldValues, field: string): number | undefined {
  const v = values[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A boolean field of a reading, or undefined if the reading does not carry it. */
export function flagField(values: FieldValues, field: string): boolean | undefined {
  const v = values[field];
  return typeof v === 'boolean' ? v : undefined;
}

/** Restores a rule's state from a snapshot if it has this rule's shape; otherwise keeps `current` (snapshot() said it ignores what it does not understand). */
export function restoreState<T>(schema: z.ZodType<T>, raw: unknown, current: T): T {
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : current;
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** How long, in whole minutes, for messages. */
export function minutesText(ms: number): string {
  return `${Math.round(ms / MINUTE_MS)} min`;
}

/** Builds a {@link Condition}; `value`/`limit` default to null. */
export function condition(
  rule: ConditionRuleId,
  active: boolean,
  severity: Severity,
  at: number,
  message: string,
  extra: { value?: number | null; limit?: number | null; detail?: ConditionDetail } = {},
): Condition {
  return {
    rule,
    active,
    severity,
    at,
    value: extra.value ?? null,
    limit: extra.limit ?? null,
    message,
    ...(extra.detail ? { detail: extra.detail } : {}),
  };
}
