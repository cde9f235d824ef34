import type { FieldValues } from '../../contracts/index.js';
import { kitchenActivity } from './kitchen-hours.js';
import { clamp, round, SteppedModel, type FaultName } from './model.js';

/**
 * Tuning of a thermostat-controlled cabinet. The figures are first-order
 * (Newton's law) time constants, chosen so the cycles look like a commercial unit's.
 */
export interface CabinetParams {
  /** 'cool': a compressor pulls the air down; 'heat': a heater pushes it up; 'none': follows the room. */
  readonly mode: 'cool' | 'heat' | 'none';
  /** Thermostat switches the compressor/heater on when the air passes this (°C). */
  readonly cutInC: number;
  /** ... and off when the air passes this (°C). */
  readonly cutOutC: number;
  /** Time constant of heat exchange with the kitchen through the closed cabinet (s). */
  readonly tauLeakS: number;
  /** Time constant through an open door (s): much faster. */
  readonly tauDoorS: number;
  /** How fast the compressor (−) or heater (+) moves the air when running (°C/s). */
  readonly powerCPerS: number;
  /** Door openings per hour at full service (fewer in preparation, none at night). */
  readonly doorOpeningsPerHour: number;
  /** Relative humidity with the door shut (%). */
  readonly humidityPct: number;
}

/** Chilled storage: cut-in 5 °C, cut-out 2 °C gives ~2–5 °C in a ~30 min cycle. */
export const CHILLED: CabinetParams = {
  mode: 'cool', cutInC: 5, cutOutC: 2, tauLeakS: 8_600, tauDoorS: 1_200, powerCPerS: 0.0075,
  doorOpeningsPerHour: 12, humidityPct: 65,
};

/** Hot holding: heater keeps ~63–68 °C, above the 60 °C floor (domain.md). */
export const HOT_HOLDING: CabinetParams = {
  mode: 'heat', cutInC: 63, cutOutC: 68, tauLeakS: 4_800, tauDoorS: 900, powerCPerS: 0.025,
  doorOpeningsPerHour: 15, humidityPct: 35,
};

/** A dry store or display at room temperature: no thermostat, it follows the kitchen. */
export const AMBIENT: CabinetParams = {
  mode: 'none', cutInC: 0, cutOutC: 0, tauLeakS: 3_600, tauDoorS: 600, powerCPerS: 0,
  doorOpeningsPerHour: 6, humidityPct: 55,
};

const DAY_MS = 86_400_000;
/** Battery loss per day (%): a sensor on two AA cells lasts about a year and a half. */
const BATTERY_DRAIN_PCT_PER_DAY = 0.18;

const FRIDGE_FAULTS: ReadonlySet<FaultName> = new Set<FaultName>(['compressor_failure', 'door_left_open']);

/**
 * A fridge, hot-holding cabinet or dry store: air temperature driven by heat
 * exchange with the kitchen, a thermostat, and door openings in service hours.
 * The compressor (or heater) stops with the power; the physics keeps running.
 */
export class Fridge extends SteppedModel {
  readonly kind = 'temperature' as const;
  protected airC = 0;
  protected running = false;
  /** Seconds the door stays open from now (0 = shut). */
  protected doorOpenS = 0;
  protected batteryPct = 100;
  private readonly rssiBase: number;
  private readonly kitchenBaseC: number;

  constructor(
    seed: number,
    protected readonly params: CabinetParams = CHILLED,
    faults: ReadonlySet<FaultName> = FRIDGE_FAULTS,
  ) {
    super(seed, faults);
    this.rssiBase = this.rng.uniform(-90, -55);
    this.kitchenBaseC = this.rng.uniform(22, 27);
  }

  protected init(_t: number): void {
    const { mode, cutInC, cutOutC } = this.params;
    // Start somewhere in the cycle, so a fleet's fridges do not cycle in step.
    this.airC = mode === 'none' ? this.kitchenBaseC : this.rng.uniform(Math.min(cutInC, cutOutC), Math.max(cutInC, cutOutC));
    this.running = this.rng.chance(0.4);
    this.batteryPct = this.rng.uniform(60, 100);
  }

  /** The kitchen around the cabinet: warmer when the stoves are on. */
  protected kitchenC(t: number): number {
    return this.kitchenBaseC + 5 * kitchenActivity(t);
  }

  protected powered(): boolean {
    return !this.has('power_loss');
  }

  protected doorIsOpen(): boolean {
    return this.doorOpenS > 0 || this.has('door_left_open');
  }

  protected step(t: number, dtS: number): void {
    this.stepDoor(t, dtS);
    this.thermostat();
    const room = this.kitchenC(t);
    const door = this.doorIsOpen() ? 1 / this.params.tauDoorS : 0;
    const exchange = (room - this.airC) * (1 / this.params.tauLeakS + door);
    const drive = this.powered() ? this.drive() : 0;
    this.airC += (exchange + drive) * dtS;
    this.batteryPct = Math.max(0, this.batteryPct - (BATTERY_DRAIN_PCT_PER_DAY * dtS * 1000) / DAY_MS);
  }

  /** Heat added by the running compressor or heater (°C/s). */
  protected drive(): number {
    const { mode, powerCPerS } = this.params;
    if (!this.running) return 0;
    if (mode === 'heat') return powerCPerS;
    if (mode === 'cool' && !this.has('compressor_failure')) return -powerCPerS;
    return 0;
  }

  /** Two-point control with hysteresis: the cycling users see on every fridge chart. */
  protected thermostat(): void {
    const { mode, cutInC, cutOutC } = this.params;
    if (mode === 'cool') {
      if (this.airC >= cutInC) this.running = true;
      else if (this.airC <= cutOutC) this.running = false;
    } else if (mode === 'heat') {
      if (this.airC <= cutInC) this.running = true;
      else if (this.airC >= cutOutC) this.running = false;
    }
  }

  private stepDoor(t: number, dtS: number): void {
    if (this.doorOpenS > 0) {
      this.doorOpenS = Math.max(0, this.doorOpenS - dtS);
      return;
    }
    const perSecond = (this.params.doorOpeningsPerHour * kitchenActivity(t)) / 3600;
    // Most openings are a quick grab; a few are a delivery being loaded.
    if (this.rng.chance(perSecond * dtS)) this.doorOpenS = this.rng.chance(0.1) ? this.rng.uniform(60, 180) : this.rng.uniform(5, 40);
  }

  protected read(_t: number): FieldValues {
    const open = this.doorIsOpen();
    const humidity = this.params.humidityPct + (open ? 15 : 0) + this.rng.normal(0, 1.5);
    return {
      temperatureC: round(this.airC + this.rng.normal(0, 0.05), 1),
      humidityPct: round(clamp(humidity, 5, 100), 1),
      doorOpen: open,
      batteryPct: Math.round(this.batteryPct),
      rssiDbm: Math.round(clamp(this.rssiBase + this.rng.normal(0, 2), -140, 0)),
    };
  }
}
