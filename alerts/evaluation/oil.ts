import { z } from 'zod';
import type { Condition } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import type { RuleSettings } from '../rules/index.js';
import { FlagRule } from './flag-rule.js';
import type { Rule } from './rule.js';
import { condition, DAY_MS, flagField, MINUTE_MS, numberField, restoreState, round1 } from './support.js';
import { ThresholdRule } from './threshold-rule.js';

export const pumpOutState = z.object({
  lastFillPct: z.number().nullable(),
  /** Device time of the last pump-out: reported by the device, or seen as a sharp drop in fill. */
  lastPumpOutTs: z.number().nullable(),
});
export type PumpOutState = z.infer<typeof pumpOutState>;

/**
 * Recognises a pump-out in a reading: the device's `lastPumpOutTs` moved on, or
 * the fill dropped by at least `dropPct` points since the previous reading (grease
 * does not vanish by itself). Mutates `state`; returns true when one is seen.
 */
export function observePumpOut(state: PumpOutState, record: TelemetryRecord, dropPct: number): boolean {
  const reported = numberField(record.values, 'lastPumpOutTs');
  const fill = numberField(record.values, 'fillPct');
  let seen = false;
  if (reported !== undefined && (state.lastPumpOutTs === null || reported > state.lastPumpOutTs)) {
    seen = state.lastPumpOutTs !== null;
    state.lastPumpOutTs = reported;
  }
  if (fill !== undefined) {
    if (state.lastFillPct !== null && state.lastFillPct - fill >= dropPct) {
      seen = true;
      state.lastPumpOutTs = Math.max(state.lastPumpOutTs ?? record.ts, record.ts);
    }
    state.lastFillPct = fill;
  }
  return seen;
}

const overdueState = pumpOutState.extend({ lastTs: z.number().nullable(), active: z.boolean() });

/**
 * oil_pump_out_overdue: more than `maxDays` since the last pump-out (domain.md:
 * every 90 days at the latest, common US municipal rule). Judged on readings
 * (device clock) and on ticks (server clock), so a trap that has gone quiet still
 * becomes overdue. Unknown until the device reports or a pump-out is seen.
 */
export class PumpOutOverdueRule implements Rule {
  readonly id = 'oil_pump_out_overdue' as const;
  private state: z.infer<typeof overdueState> = { lastFillPct: null, lastPumpOutTs: null, lastTs: null, active: false };

  constructor(
    private readonly s: RuleSettings['oil_pump_out_overdue'],
    private readonly dropPct: number,
  ) {}

  reading(record: TelemetryRecord): Condition | undefined {
    if (this.state.lastTs !== null && record.ts <= this.state.lastTs) return undefined;
    this.state.lastTs = record.ts;
    observePumpOut(this.state, record, this.dropPct);
    return this.evaluate(record.ts);
  }

  tick(now: number): Condition | undefined {
    return this.evaluate(now);
  }

  private evaluate(t: number): Condition | undefined {
    const st = this.state;
    if (st.lastPumpOutTs === null) return undefined;
    const dueAt = st.lastPumpOutTs + this.s.maxDays.value * DAY_MS;
    const days = round1((t - st.lastPumpOutTs) / DAY_MS);
    const extra = { value: days, limit: this.s.maxDays.value, detail: { lastPumpOutTs: st.lastPumpOutTs, source: this.s.maxDays.source } };
    if (!st.active && t >= dueAt) {
      st.active = true;
      return condition(this.id, true, this.s.severity, dueAt, `no pump-out for ${days} days (due every ${this.s.maxDays.value})`, extra);
    }
    if (st.active && t < dueAt) {
      st.active = false;
      return condition(this.id, false, this.s.severity, st.lastPumpOutTs, 'pumped out', extra);
    }
    return undefined;
  }

  snapshot(): unknown {
    return { ...this.state };
  }

  restore(state: unknown): void {
    this.state = restoreState(overdueState, state, this.state);
  }
}

/** oil_fill_high, oil_overflow, oil_effluent_high and oil_pump_out_overdue, as enabled. */
export function oilRules(settings: RuleSettings): Rule[] {
  const rules: Rule[] = [];
  const fill = settings.oil_fill_high;
  if (fill.enabled) {
    rules.push(
      new ThresholdRule({
        id: 'oil_fill_high',
        field: 'fillPct',
        label: 'grease and solids',
        unit: '% of depth',
        direction: 'above',
        limit: fill.pumpOutAtPct.value,
        // Pump-out is due when the layer reaches the level, not only past it.
        inclusive: true,
        deadband: fill.deadbandPct,
        delayMs: 0,
        severity: fill.severity,
        detail: { source: fill.pumpOutAtPct.source },
      }),
    );
  }
  const overflow = settings.oil_overflow;
  if (overflow.enabled) {
    rules.push(new FlagRule({ id: 'oil_overflow', severity: overflow.severity, delayMs: 0, what: 'overflow switch tripped', test: (v) => flagField(v, 'overflow') }));
  }
  const effluent = settings.oil_effluent_high;
  if (effluent.enabled) {
    rules.push(
      new ThresholdRule({
        id: 'oil_effluent_high',
        field: 'effluentOilMgL',
        label: 'oil in effluent',
        unit: 'mg/L',
        direction: 'above',
        limit: effluent.maxMgL.value,
        deadband: effluent.deadbandMgL,
        delayMs: effluent.delayMin * MINUTE_MS,
        severity: effluent.severity,
        detail: { source: effluent.maxMgL.source },
      }),
    );
  }
  if (settings.oil_pump_out_overdue.enabled) rules.push(new PumpOutOverdueRule(settings.oil_pump_out_overdue, settings.oil_full_forecast.pumpOutDropPct));
  return rules;
}
