import { Fridge, type CabinetParams } from './fridge.js';
import type { FaultName } from './model.js';

/** Frozen storage: cut-in −18 °C, cut-out −22 °C, so the air sits around −20 °C. */
export const FROZEN: CabinetParams = {
  mode: 'cool', cutInC: -18, cutOutC: -22, tauLeakS: 13_500, tauDoorS: 1_500, powerCPerS: 0.01,
  doorOpeningsPerHour: 4, humidityPct: 70,
};

/** Defrost heater rate (°C/s): the air goes from −20 °C to about −6 °C in roughly a quarter of an hour. */
const DEFROST_HEAT_C_PER_S = 0.0155;
/** A defrost heater is cut off by a timer if the termination sensor never trips. */
const MAX_DEFROST_S = 25 * 60;
/** Meltwater drains before the compressor restarts, or it would refreeze on the coil. */
const DRIP_S = 150;

const FREEZER_FAULTS: ReadonlySet<FaultName> = new Set<FaultName>(['compressor_failure', 'door_left_open', 'defrost_stuck']);

type Phase = 'cooling' | 'defrost' | 'drip';

/**
 * A freezer: a fridge whose evaporator ices up, so every 6–8 h a defrost heater
 * warms the air to about −5…−8 °C for ~20 min, then the compressor pulls it back.
 * Those peaks are normal and are why alarms need a delay (domain.md).
 */
export class Freezer extends Fridge {
  private phase: Phase = 'cooling';
  private phaseS = 0;
  private nextDefrostInS = 0;
  private terminationC = -6;

  constructor(seed: number, params: CabinetParams = FROZEN) {
    super(seed, params, FREEZER_FAULTS);
  }

  protected override init(t: number): void {
    super.init(t);
    // A random point in the defrost interval, so a fleet's freezers do not defrost together.
    this.nextDefrostInS = this.rng.uniform(0.5, 7) * 3600;
  }

  protected override step(t: number, dtS: number): void {
    this.phaseS += dtS;
    switch (this.phase) {
      case 'cooling':
        this.nextDefrostInS -= dtS;
        if (this.nextDefrostInS <= 0 || this.has('defrost_stuck')) this.enter('defrost');
        break;
      case 'defrost':
        if (this.airC >= this.terminationC || this.phaseS >= MAX_DEFROST_S) this.enter('drip');
        break;
      case 'drip':
        // A stuck defrost control never hands back to the compressor: the freezer thaws.
        if (this.phaseS >= DRIP_S && !this.has('defrost_stuck')) this.enter('cooling');
        break;
    }
    super.step(t, dtS);
  }

  private enter(phase: Phase): void {
    this.phase = phase;
    this.phaseS = 0;
    if (phase === 'defrost') {
      this.running = false;
      this.terminationC = this.rng.uniform(-8, -5);
      this.nextDefrostInS = this.rng.uniform(6, 8) * 3600;
    }
  }

  protected override thermostat(): void {
    if (this.phase === 'cooling') super.thermostat();
    else this.running = false;
  }

  protected override drive(): number {
    return this.phase === 'defrost' ? DEFROST_HEAT_C_PER_S : super.drive();
  }
}
