import { z } from 'zod';
import type { Condition, ConditionDetail, ConditionRuleId, FieldValues, Severity } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import type { Rule } from './rule.js';
import { condition, minutesText, restoreState } from './support.js';

/** A yes/no state of a device that alarms when it lasts too long. */
export interface FlagSpec {
  readonly id: ConditionRuleId;
  readonly severity: Severity;
  /** How long the state must hold (while it counts) before it raises, ms. */
  readonly delayMs: number;
  /** true: the state holds in this reading; false: it does not; undefined: the reading does not say. */
  test(values: FieldValues): boolean | undefined;
  /**
   * Whether time `t` counts (a camera's business hours); always, if absent. Outside
   * it nothing new raises and a pending delay starts again at the next counting time;
   * an active condition stays active until the state itself ends.
   */
  counts?(t: number): boolean;
  /** "door open", "camera offline": the subject of messages. */
  readonly what: string;
  readonly detail?: ConditionDetail;
}

const stateSchema = z.object({
  lastTs: z.number().nullable(),
  /** Device time the state began, null while it does not hold. */
  since: z.number().nullable(),
  /** When the delay started counting (`since`, or the opening time after it); null outside counting time. */
  countFrom: z.number().nullable(),
  active: z.boolean(),
});
type State = z.infer<typeof stateSchema>;

/**
 * Readings say when the state begins and ends (device clock; older readings are
 * ignored). The delay is checked on readings and on ticks (server clock), because
 * some sensors report a door only when it changes; ingest bounds the skew between
 * the two clocks. A device that falls silent while the state holds still raises:
 * the last thing it said was "open".
 */
export class FlagRule implements Rule {
  readonly id: ConditionRuleId;
  private state: State = { lastTs: null, since: null, countFrom: null, active: false };

  constructor(private readonly spec: FlagSpec) {
    this.id = spec.id;
  }

  private counts(t: number): boolean {
    return this.spec.counts ? this.spec.counts(t) : true;
  }

  reading(record: TelemetryRecord): Condition | undefined {
    const s = this.state;
    if (s.lastTs !== null && record.ts <= s.lastTs) return undefined;
    const on = this.spec.test(record.values);
    if (on === undefined) return undefined;
    s.lastTs = record.ts;
    if (!on) {
      const was = s.active ? (s.countFrom ?? s.since ?? record.ts) : undefined;
      // In place, like ThresholdRule: nothing allocated per reading that outlives the young generation.
      s.since = null;
      s.countFrom = null;
      s.active = false;
      if (was === undefined) return undefined;
      const message = `${this.spec.what} ended after ${minutesText(record.ts - was)}`;
      return condition(this.id, false, this.spec.severity, record.ts, message, this.extra(record.ts, was));
    }
    if (s.since === null) {
      s.since = record.ts;
      s.countFrom = this.counts(record.ts) ? record.ts : null;
    }
    return this.evaluate(record.ts);
  }

  tick(now: number): Condition | undefined {
    return this.evaluate(now);
  }

  private evaluate(t: number): Condition | undefined {
    const s = this.state;
    if (s.since === null || s.active) return undefined;
    if (!this.counts(t)) {
      s.countFrom = null;
      return undefined;
    }
    s.countFrom ??= t;
    if (t - s.countFrom < this.spec.delayMs) return undefined;
    s.active = true;
    const message = `${this.spec.what} for ${minutesText(t - s.countFrom)}`;
    return condition(this.id, true, this.spec.severity, s.countFrom, message, this.extra(t, s.countFrom));
  }

  private extra(t: number, from: number) {
    return { detail: { ...this.spec.detail, minutes: Math.round((t - from) / 60_000), since: this.state.since ?? from } };
  }

  /** The state does not hold, so no delay is counting. */
  atRest(): boolean {
    return !this.state.active && this.state.since === null;
  }

  snapshot(): unknown {
    return { ...this.state };
  }

  restore(state: unknown): void {
    this.state = restoreState(stateSchema, state, this.state);
  }
}
