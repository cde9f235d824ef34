import { z } from 'zod';
import { severitySchema, type Condition, type ConditionDetail, type ConditionRuleId, type Severity } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import type { Rule } from './rule.js';
import { condition, minutesText, numberField, restoreState, round1 } from './support.js';

/** How one numeric field is judged against one limit. */
export interface ThresholdSpec {
  readonly id: ConditionRuleId;
  /** The reading field, e.g. `temperatureC`. */
  readonly field: string;
  /** Words for messages, e.g. "temperature", and the unit, e.g. "°C". */
  readonly label: string;
  readonly unit: string;
  /** `above`: alarms when the value exceeds the limit; `below`: when it falls short. */
  readonly direction: 'above' | 'below';
  readonly limit: number;
  /** The limit itself counts as beyond (a grease trap at exactly 25% is due). */
  readonly inclusive?: boolean;
  /** A condition clears (and a pending excursion is forgotten) only this far back inside the limit. */
  readonly deadband: number;
  /** How long an excursion must last before it raises (device clock, ms). */
  readonly delayMs: number;
  readonly severity: Severity;
  /** Beyond `limit` for `delayMs`, or lasting `afterMs` in all, makes it critical. */
  readonly critical?: { readonly limit: number | null; readonly delayMs: number; readonly afterMs: number | null };
  /** Facts added to every condition's detail (profile, target, the limit's source). */
  readonly detail?: ConditionDetail;
}

const stateSchema = z.object({
  lastTs: z.number().nullable(),
  /** Device time the current excursion started (first reading beyond the limit), null if none. */
  startTs: z.number().nullable(),
  /** Device time the value went beyond the critical limit, null if it is not. */
  criticalTs: z.number().nullable(),
  /** The worst value of the current excursion. */
  peak: z.number().nullable(),
  active: z.boolean(),
  severity: severitySchema,
});
type State = z.infer<typeof stateSchema>;

/**
 * A limit on one numeric field with a delay, a critical level and hysteresis,
 * timed on the device clock (`record.ts`): a batch of late readings is judged by
 * when they were taken, not when they arrived. A reading older than the newest
 * seen is ignored, so a resend cannot reopen or end an excursion.
 *
 * Hysteresis works on both sides: once beyond the limit, readings in the deadband
 * keep the excursion going (it raises on the next reading beyond the limit after
 * the delay), and only a reading `deadband` inside the limit ends it. So a value
 * hovering at the limit raises once and never flaps.
 */
export class ThresholdRule implements Rule {
  readonly id: ConditionRuleId;
  private state: State;

  constructor(private readonly spec: ThresholdSpec) {
    this.id = spec.id;
    this.state = ThresholdRule.initial(spec.severity);
  }

  private static initial(severity: Severity): State {
    return { lastTs: null, startTs: null, criticalTs: null, peak: null, active: false, severity };
  }

  /** Ends any excursion in place, keeping `lastTs`. */
  private static reset(s: State, severity: Severity): void {
    s.startTs = null;
    s.criticalTs = null;
    s.peak = null;
    s.active = false;
    s.severity = severity;
  }

  private beyond(v: number, limit: number): boolean {
    const { direction, inclusive } = this.spec;
    if (direction === 'above') return inclusive ? v >= limit : v > limit;
    return inclusive ? v <= limit : v < limit;
  }

  private worse(a: number, b: number): number {
    return this.spec.direction === 'above' ? Math.max(a, b) : Math.min(a, b);
  }

  reading(record: TelemetryRecord): Condition | undefined {
    const v = numberField(record.values, this.spec.field);
    const s = this.state;
    if (v === undefined || (s.lastTs !== null && record.ts <= s.lastTs)) return undefined;
    const ts = record.ts;
    s.lastTs = ts;
    const { limit, deadband, direction, critical } = this.spec;
    const inside = direction === 'above' ? v <= limit - deadband : v >= limit + deadband;
    if (inside) {
      const was = s.active ? { startTs: s.startTs ?? ts, severity: s.severity, peak: s.peak } : undefined;
      // In place: the common reading (within the limit) then allocates nothing. Per-device state
      // replaced on every reading outlives the young generation and makes each collection slower.
      ThresholdRule.reset(s, this.spec.severity);
      if (!was) return undefined;
      const message = `${this.spec.label} back to ${v} ${this.spec.unit}, within ${limit} ${this.spec.unit} after ${minutesText(ts - was.startTs)}`;
      return condition(this.id, false, was.severity, ts, message, { value: v, limit, detail: this.detail(ts, was.startTs, was.peak) });
    }
    const beyond = this.beyond(v, limit);
    if (beyond) s.startTs ??= ts;
    // In the deadband without having gone beyond: nothing is under way.
    if (s.startTs === null) return undefined;
    s.peak = s.peak === null ? v : this.worse(s.peak, v);
    s.criticalTs = critical?.limit != null && this.beyond(v, critical.limit) ? (s.criticalTs ?? ts) : null;
    const isCritical =
      critical !== undefined &&
      ((s.criticalTs !== null && ts - s.criticalTs >= critical.delayMs) || (critical.afterMs !== null && ts - s.startTs >= critical.afterMs));
    if (!s.active) {
      // Only a reading beyond the limit raises: one in the deadband is not itself an excursion.
      if (!beyond || !(isCritical || ts - s.startTs >= this.spec.delayMs)) return undefined;
      s.active = true;
      s.severity = isCritical ? 'critical' : this.spec.severity;
      return this.raised(v, ts);
    }
    // Severity only rises during an excursion: a warning ↔ critical flap would page someone twice.
    if (isCritical && s.severity !== 'critical') {
      s.severity = 'critical';
      return this.raised(v, ts);
    }
    return undefined;
  }

  private raised(v: number, ts: number): Condition {
    const s = this.state;
    const startTs = s.startTs ?? ts;
    const { label, unit, limit, direction } = this.spec;
    const message = `${label} ${v} ${unit} ${direction} the limit of ${limit} ${unit} for ${minutesText(ts - startTs)}${s.severity === 'critical' ? ' (critical)' : ''}`;
    return condition(this.id, true, s.severity, startTs, message, { value: v, limit, detail: this.detail(ts, startTs, s.peak) });
  }

  private detail(ts: number, startTs: number, peak: number | null): ConditionDetail {
    return {
      ...this.spec.detail,
      minutes: round1((ts - startTs) / 60_000),
      peak,
      criticalLimit: this.spec.critical?.limit ?? null,
    };
  }

  /** Nothing under way: within the limit (or in the deadband without having gone beyond). */
  atRest(): boolean {
    return !this.state.active && this.state.startTs === null;
  }

  snapshot(): unknown {
    return { ...this.state };
  }

  restore(state: unknown): void {
    this.state = restoreState(stateSchema, state, this.state);
  }
}
