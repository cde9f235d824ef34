import { z } from 'zod';
import type { Condition } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import type { RuleSettings } from '../rules/index.js';
import { observePumpOut, pumpOutState } from './oil.js';
import type { Rule } from './rule.js';
import { condition, DAY_MS, isoTime, numberField, restoreState, round1 } from './support.js';

const stateSchema = pumpOutState.extend({
  lastTs: z.number().nullable(),
  /** First reading since the last pump-out: how much history the trend has. */
  firstTs: z.number().nullable(),
  /**
   * Exponentially weighted sums for a straight-line fit of fill (%) on time (days),
   * with the time origin kept at the latest reading (t ≤ 0 for older ones) so the
   * sums stay small: Σw, Σw·t, Σw·t², Σw·y, Σw·t·y.
   */
  s0: z.number(),
  st: z.number(),
  stt: z.number(),
  sy: z.number(),
  sty: z.number(),
  forecastFullAt: z.number().nullable(),
  active: z.boolean(),
});
type State = z.infer<typeof stateSchema>;

const EMPTY_FIT = { s0: 0, st: 0, stt: 0, sy: 0, sty: 0 } as const;

/**
 * oil_full_forecast: when will the trap reach its pump-out level? An exponentially
 * weighted linear trend (half-life `halfLifeDays`) over fill % against time gives
 * the level now and the rate; O(1) state, any sampling interval. Weighting by
 * reading, not by time, is fine for a device that reports at a steady rate.
 *
 * Active while the forecast is within `horizonDays` (with `minHistoryDays` of
 * history since the last pump-out); clears beyond `horizonDays + deadbandDays`,
 * when the fill stops rising, or at a pump-out, which also restarts the estimator
 * (the old slope says nothing about the emptied trap).
 */
export class OilFullForecastRule implements Rule {
  readonly id = 'oil_full_forecast' as const;
  private state: State = { lastFillPct: null, lastPumpOutTs: null, lastTs: null, firstTs: null, ...EMPTY_FIT, forecastFullAt: null, active: false };
  private readonly s: RuleSettings['oil_full_forecast'];
  private readonly levelPct: number;

  constructor(settings: RuleSettings) {
    this.s = settings.oil_full_forecast;
    this.levelPct = settings.oil_fill_high.pumpOutAtPct.value;
  }

  reading(record: TelemetryRecord): Condition | undefined {
    const st = this.state;
    const fill = numberField(record.values, 'fillPct');
    if (fill === undefined || (st.lastTs !== null && record.ts <= st.lastTs)) return undefined;
    const pumpedOut = observePumpOut(st, record, this.s.pumpOutDropPct);
    if (pumpedOut) {
      Object.assign(st, EMPTY_FIT, { firstTs: null, lastTs: null, forecastFullAt: null });
    }
    this.add(record.ts, fill);
    st.forecastFullAt = this.forecast(record.ts);
    return this.verdict(record.ts, fill, pumpedOut);
  }

  /** Moves the origin to `ts`, decays the old weights, adds the reading at t = 0. */
  private add(ts: number, fill: number): void {
    const st = this.state;
    st.firstTs ??= ts;
    if (st.lastTs !== null) {
      const d = (ts - st.lastTs) / DAY_MS;
      // Shift: old points now sit at t − d.
      st.stt = st.stt - 2 * d * st.st + d * d * st.s0;
      st.st = st.st - d * st.s0;
      st.sty = st.sty - d * st.sy;
      const decay = 2 ** (-d / this.s.halfLifeDays);
      for (const k of ['s0', 'st', 'stt', 'sy', 'sty'] as const) st[k] *= decay;
    }
    st.s0 += 1;
    st.sy += fill;
    st.lastTs = ts;
  }

  /** Fitted level now (%) and slope (%/day), or null while the fit is degenerate. */
  private fit(): { level: number; ratePerDay: number } | null {
    const { s0, st, stt, sy, sty } = this.state;
    const den = s0 * stt - st * st;
    if (s0 <= 0 || den <= 1e-12 * s0 * s0) return null;
    const ratePerDay = (s0 * sty - st * sy) / den;
    return { level: (sy - ratePerDay * st) / s0, ratePerDay };
  }

  private forecast(ts: number): number | null {
    const st = this.state;
    const fit = this.fit();
    if (!fit || st.firstTs === null || ts - st.firstTs < this.s.minHistoryDays * DAY_MS) return null;
    if (fit.level >= this.levelPct) return ts;
    if (fit.ratePerDay <= 0) return null;
    return Math.round(ts + ((this.levelPct - fit.level) / fit.ratePerDay) * DAY_MS);
  }

  private verdict(ts: number, fill: number, pumpedOut: boolean): Condition | undefined {
    const st = this.state;
    const inDays = st.forecastFullAt === null ? null : (st.forecastFullAt - ts) / DAY_MS;
    const extra = { value: inDays === null ? null : round1(inDays), limit: this.s.horizonDays, detail: this.insight() };
    if (!st.active && inDays !== null && inDays <= this.s.horizonDays) {
      st.active = true;
      const message = `grease trap forecast to reach ${this.levelPct}% by ${isoTime(st.forecastFullAt as number)} (now ${fill}%)`;
      return condition(this.id, true, this.s.severity, ts, message, extra);
    }
    if (st.active && (inDays === null || inDays > this.s.horizonDays + this.s.deadbandDays)) {
      st.active = false;
      return condition(this.id, false, this.s.severity, ts, pumpedOut ? 'pumped out: forecast restarts' : 'forecast moved beyond the horizon', extra);
    }
    return undefined;
  }

  insight() {
    const fit = this.fit();
    const history = this.state.firstTs !== null && this.state.lastTs !== null && this.state.lastTs - this.state.firstTs >= this.s.minHistoryDays * DAY_MS;
    return {
      fillPct: this.state.lastFillPct,
      fillRatePctPerDay: fit && history ? Math.round(fit.ratePerDay * 100) / 100 : null,
      forecastFullAt: this.state.forecastFullAt,
    };
  }

  snapshot(): unknown {
    return { ...this.state };
  }

  restore(state: unknown): void {
    this.state = restoreState(stateSchema, state, this.state);
  }
}
