import { z } from 'zod';
import { severitySchema, type Condition, type Severity } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import type { RuleSettings } from '../rules/index.js';
import type { Rule } from './rule.js';
import { condition, MINUTE_MS, numberField, restoreState, round1 } from './support.js';

const stateSchema = z.object({
  lastTs: z.number().nullable(),
  lastInZone: z.boolean(),
  /** Time in the zone since the last reset (ms, device clock). */
  accumulatedMs: z.number(),
  /** First reading in the zone since the last reset. */
  firstInZoneTs: z.number().nullable(),
  /** Since when the readings are continuously outside the zone. */
  safeSinceTs: z.number().nullable(),
  active: z.boolean(),
  severity: severitySchema,
});
type State = z.infer<typeof stateSchema>;

/**
 * The danger-zone clock (domain.md; the Australia/NZ 2-hour/4-hour rule; FDA Food
 * Code 3-501.19 discards after 4 h): cumulative time strictly between `lowC` and
 * `highC`. The first stage (`warningAfterMin`, 2 h: use now) raises with the rule's
 * severity, the second (`criticalAfterMin`, 4 h: discard) upgrades to critical.
 *
 * Time between two readings counts when the earlier one was in the zone, gaps
 * included: a period nobody measured is not a safe one.
 *
 * Reset: once the readings have stayed outside the zone for `resetAfterMin`, the
 * cabinet is taken to hold product again (re-chilled, or refilled after a discard):
 * the clock returns to zero and an active condition clears. The alert keeps its
 * minutes, so the corrective action (use, re-chill or discard) is decided from them.
 */
export class DangerZoneRule implements Rule {
  readonly id = 'danger_zone' as const;
  private state: State;
  private readonly s: RuleSettings['danger_zone'];

  constructor(settings: RuleSettings) {
    this.s = settings.danger_zone;
    this.state = this.initial();
  }

  private initial(): State {
    return { lastTs: null, lastInZone: false, accumulatedMs: 0, firstInZoneTs: null, safeSinceTs: null, active: false, severity: this.s.severity };
  }

  reading(record: TelemetryRecord): Condition | undefined {
    const v = numberField(record.values, 'temperatureC');
    const st = this.state;
    if (v === undefined || (st.lastTs !== null && record.ts <= st.lastTs)) return undefined;
    const ts = record.ts;
    if (st.lastInZone && st.lastTs !== null) st.accumulatedMs += ts - st.lastTs;
    st.lastTs = ts;
    const inZone = v > this.s.lowC.value && v < this.s.highC.value;
    st.lastInZone = inZone;
    if (inZone) {
      st.safeSinceTs = null;
      st.firstInZoneTs ??= ts;
    } else {
      st.safeSinceTs ??= ts;
    }
    if (!inZone && st.safeSinceTs !== null && ts - st.safeSinceTs >= this.s.resetAfterMin * MINUTE_MS) return this.reset(ts, v);
    const stage = this.stage();
    if (stage === undefined || (st.active && (st.severity === stage || st.severity === 'critical'))) return undefined;
    st.active = true;
    st.severity = stage;
    const minutes = round1(st.accumulatedMs / MINUTE_MS);
    const limit = stage === 'critical' ? this.s.criticalAfterMin.value : this.s.warningAfterMin.value;
    const advice = stage === 'critical' ? 'discard' : 'use now';
    const message = `${minutes} min between ${this.s.lowC.value} and ${this.s.highC.value} °C since the last reset: ${advice}`;
    return condition(this.id, true, stage, st.firstInZoneTs ?? ts, message, { value: minutes, limit, detail: this.detail(v) });
  }

  /** The stage the accumulated time has reached, if any. */
  private stage(): Severity | undefined {
    const minutes = this.state.accumulatedMs / MINUTE_MS;
    if (minutes >= this.s.criticalAfterMin.value) return 'critical';
    if (minutes >= this.s.warningAfterMin.value) return this.s.severity;
    return undefined;
  }

  private reset(ts: number, v: number): Condition | undefined {
    const was = this.state;
    const detail = this.detail(v);
    this.state = { ...this.initial(), lastTs: ts, safeSinceTs: was.safeSinceTs };
    if (!was.active) return undefined;
    const message = `outside the danger zone for ${this.s.resetAfterMin} min: the clock restarts (it had reached ${detail.minutes} min)`;
    return condition(this.id, false, was.severity, ts, message, { value: detail.minutes, detail });
  }

  private detail(temperatureC: number) {
    return {
      minutes: round1(this.state.accumulatedMs / MINUTE_MS),
      temperatureC,
      lowC: this.s.lowC.value,
      highC: this.s.highC.value,
      source: this.s.criticalAfterMin.source,
    };
  }

  insight() {
    return { dangerZoneMinutes: round1(this.state.accumulatedMs / MINUTE_MS) };
  }

  /** The clock stands at zero and the last reading was outside the zone. */
  atRest(): boolean {
    const st = this.state;
    return !st.active && !st.lastInZone && st.accumulatedMs === 0;
  }

  snapshot(): unknown {
    return { ...this.state };
  }

  restore(state: unknown): void {
    this.state = restoreState(stateSchema, state, this.state);
  }
}
