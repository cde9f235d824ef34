import type { FieldValues } from '../../contracts/index.js';
import { kitchenActivity, localHour } from './kitchen-hours.js';
import { clamp, round, SteppedModel, type FaultName } from './model.js';

const DAY_MS = 86_400_000;
/** Kitchen activity-hours in a normal day (7 h service × 1 + 8 h preparation × 0.3). */
const ACTIVITY_HOURS_PER_DAY = 9.4;
/** Pump-out is due at 25% of liquid depth or every 90 days, whichever first (domain.md); many operators book sooner. */
const SCHEDULE_DAYS = 30;
/** How long the vacuum truck takes, and then how long the trap takes to refill with water. */
const PUMP_OUT_S = 30 * 60;
const REFILL_S = 60 * 60;

const GREASE_FAULTS: ReadonlySet<FaultName> = new Set<FaultName>(['grease_overflow', 'no_pump_out']);

/** Tuning of one grease trap. */
export interface GreaseTrapParams {
  /** Liquid depth of the trap at its outlet weir (mm). */
  readonly depthMm: number;
  /** Pump-out when grease + solids reach this share of liquid depth (%); varies per visit by ±1.5. */
  readonly pumpOutAtPct: number;
  /** Pump-out at least this often (days). */
  readonly scheduleDays: number;
}

/**
 * A grease trap (oil-water separator) under a kitchen's sink line. Grease floats
 * up and solids settle as the kitchen works, faster in service; a contractor
 * pumps it out at about a quarter full. As it fills, less oil is separated and
 * the effluent's oil concentration rises towards the 100 mg/L sewer limit
 * (GB/T 31962-2015 grade C).
 */
export class GreaseTrap extends SteppedModel {
  readonly kind = 'oil_separator' as const;
  private readonly params: GreaseTrapParams;
  /** Daily growth of grease + solids, % of depth per normal day: each kitchen is different. */
  private readonly dailyGrowthPct: number;
  private readonly rssiBase: number;
  private greaseMm = 0;
  private solidsMm = 0;
  private levelMm = 0;
  private waterC = 20;
  private heaterOn = false;
  private pumpOnS = 0;
  private lastPumpOutTs = 0;
  /** Seconds since the current pump-out started; undefined when none is under way. */
  private pumpOutS: number | undefined;
  private threshold = 23;

  constructor(seed: number, params: Partial<GreaseTrapParams> = {}) {
    super(seed, GREASE_FAULTS);
    this.params = { depthMm: 600, pumpOutAtPct: 23.5, scheduleDays: SCHEDULE_DAYS, ...params };
    this.dailyGrowthPct = this.rng.uniform(1.2, 2.5);
    this.rssiBase = this.rng.uniform(-95, -60);
  }

  protected init(t: number): void {
    const startPct = this.rng.uniform(2, 15);
    const total = (this.params.depthMm * startPct) / 100;
    this.greaseMm = total * 0.8;
    this.solidsMm = total * 0.2;
    this.levelMm = this.params.depthMm;
    this.waterC = this.rng.uniform(18, 24);
    // As many days ago as it takes to reach the starting fill at this kitchen's pace.
    this.lastPumpOutTs = Math.round(t - (startPct / this.dailyGrowthPct) * DAY_MS);
    this.threshold = this.nextThreshold();
  }

  private fillPct(): number {
    return (100 * (this.greaseMm + this.solidsMm)) / this.params.depthMm;
  }

  private nextThreshold(): number {
    return this.params.pumpOutAtPct + this.rng.uniform(-1.5, 1.5);
  }

  protected step(t: number, dtS: number): void {
    const activity = kitchenActivity(t);
    const depth = this.params.depthMm;
    // Grease and solids from the sink line, in proportion to how busy the kitchen is.
    const growthMm = ((depth * this.dailyGrowthPct) / 100 / ACTIVITY_HOURS_PER_DAY / 3600) * activity * dtS;
    // A blocked outlet or a surge of fat: the layer grows by ~15% of depth an hour.
    const surgeMm = this.has('grease_overflow') ? ((depth * 0.15) / 3600) * dtS : 0;
    const room = depth - this.greaseMm - this.solidsMm;
    if (room > 0) {
      this.greaseMm += Math.min(room, (growthMm + surgeMm) * 0.8);
      this.solidsMm += Math.min(room, (growthMm + surgeMm) * 0.2);
    }
    this.stepPumpOut(t, dtS);
    this.stepWater(activity, dtS);
  }

  private stepPumpOut(t: number, dtS: number): void {
    if (this.pumpOutS !== undefined) {
      this.pumpOutS += dtS;
      const depth = this.params.depthMm;
      if (this.pumpOutS < PUMP_OUT_S) this.levelMm = Math.max(50, this.levelMm - (depth / PUMP_OUT_S) * dtS * 1.2);
      else this.levelMm = Math.min(depth, this.levelMm + (depth / REFILL_S) * dtS);
      if (this.pumpOutS >= PUMP_OUT_S + REFILL_S) this.pumpOutS = undefined;
      return;
    }
    if (this.has('no_pump_out') || this.has('grease_overflow')) return;
    // The operator books the truck when the trap would pass the limit before the next visit window.
    const due =
      this.fillPct() + this.dailyGrowthPct >= this.threshold || t + DAY_MS - this.lastPumpOutTs >= this.params.scheduleDays * DAY_MS;
    // Contractors come in the morning, before the lunch service.
    const h = localHour(t);
    if (due && h >= 8 && h < 10.5 && this.rng.chance((2 * dtS) / 3600)) {
      this.pumpOutS = 0;
      this.greaseMm = this.rng.uniform(0, 2);
      this.solidsMm = this.rng.uniform(0, 4);
      this.lastPumpOutTs = Math.round(t);
      this.threshold = this.nextThreshold();
    }
  }

  private stepWater(activity: number, dtS: number): void {
    // Hot wash water in service, cooling to the basement's ~20 °C at night.
    const target = activity > 0 ? 20 + 22 * activity : 20;
    this.waterC += ((target - this.waterC) / 7_200) * dtS;
    // The heater keeps the grease fluid enough to separate while the kitchen works.
    if (activity > 0 && this.waterC < 28) this.heaterOn = true;
    else if (activity === 0 || this.waterC > 32) this.heaterOn = false;
    if (this.heaterOn && !this.has('power_loss')) this.waterC += 0.002 * dtS;
    // The outlet lift pump runs in short bursts when water flows.
    if (this.pumpOnS > 0) this.pumpOnS = Math.max(0, this.pumpOnS - dtS);
    else if (this.rng.chance(((20 * activity) / 3600) * dtS)) this.pumpOnS = this.rng.uniform(30, 90);
  }

  protected read(t: number): FieldValues {
    const fill = this.fillPct();
    const overflow = this.has('grease_overflow');
    // Separation efficiency falls as the trap fills: ~20–60 mg/L normally, over 100 mg/L when overfull.
    const base = 15 + 40 * (Math.min(fill, 25) / 25) + Math.max(0, fill - 25) * 9;
    const oil = (base * (1 + 0.1 * kitchenActivity(t)) + this.rng.normal(0, 3)) * (overflow ? 3 : 1);
    const level = overflow ? this.params.depthMm + 80 : this.levelMm;
    return {
      greaseMm: round(this.greaseMm, 1),
      fillPct: round(clamp(fill, 0, 100), 1),
      liquidLevelMm: Math.round(level + this.rng.normal(0, 2)),
      waterTempC: round(this.waterC + this.rng.normal(0, 0.1), 1),
      effluentOilMgL: round(Math.max(0, oil), 1),
      pumpOn: this.pumpOnS > 0 || this.pumpOutS !== undefined,
      heaterOn: this.heaterOn,
      overflow,
      lastPumpOutTs: this.lastPumpOutTs,
      rssiDbm: Math.round(clamp(this.rssiBase + this.rng.normal(0, 2), -140, 0)),
    };
  }
}
