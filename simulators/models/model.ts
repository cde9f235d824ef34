import type { CameraFinding, DeviceKind, FieldValues } from '../../contracts/index.js';
import { Random } from '../random.js';

/** Faults a simulated device can be told to have. A model ignores faults that do not apply to it. */
export const FAULT_NAMES = [
  'compressor_failure',
  'door_left_open',
  'defrost_stuck',
  'power_loss',
  'sensor_stuck',
  'grease_overflow',
  'no_pump_out',
  'camera_offline',
  'lens_occluded',
  'storage_full',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export function isFaultName(name: string): name is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(name);
}

/** An AI finding as a camera model produces it; the device client adds ts, seq and boot. */
export type SimulatedFinding = Pick<CameraFinding, 'type' | 'confidence'> & { zone?: string };

/**
 * The physics of one simulated device. Time is the device clock in epoch ms and
 * only moves forward: each call advances the state by however much time passed.
 */
export interface DeviceModel {
  readonly kind: DeviceKind;
  /**
   * Advances the state to `t` (epoch ms, non-decreasing; an earlier `t` does not
   * rewind) and returns the fields of a reading taken now, or `undefined` when the
   * device would not report (e.g. it has no power).
   */
  sample(t: number): FieldValues | undefined;
  /** Starts a fault at time `at`; a fault that does not apply to this model is ignored. */
  inject(fault: FaultName, at: number): void;
  /** Ends a fault; the device recovers by its own physics (a warm fridge cools down again). */
  clear(fault: FaultName): void;
  /** Faults in effect now (only those that apply to this model). */
  readonly activeFaults: ReadonlySet<FaultName>;
  /** AI findings since the previous call, for models that have them (cameras). */
  findings?(t: number): SimulatedFinding[];
}

/** The longest step of a simulation: long gaps are walked in steps this size so the physics stays stable. */
export const MAX_STEP_MS = 10_000;

/**
 * Shared bookkeeping for models: fault set, sub-stepping, power loss and stuck sensors.
 * A subclass supplies its physics ({@link step}) and its reading ({@link read}).
 */
export abstract class SteppedModel implements DeviceModel {
  abstract readonly kind: DeviceKind;
  protected readonly rng: Random;
  /** Time the state describes; undefined until the first sample, which starts the clock. */
  protected now: number | undefined;
  private readonly faults = new Set<FaultName>();
  private stuck: FieldValues | undefined;
  private last: FieldValues | undefined;

  constructor(
    seed: number,
    /** Faults this model reacts to; others are ignored. */
    private readonly applicable: ReadonlySet<FaultName>,
  ) {
    this.rng = new Random(seed);
  }

  get activeFaults(): ReadonlySet<FaultName> {
    return this.faults;
  }

  protected has(fault: FaultName): boolean {
    return this.faults.has(fault);
  }

  inject(fault: FaultName, at: number): void {
    if (!this.applicable.has(fault) && fault !== 'power_loss' && fault !== 'sensor_stuck') return;
    this.advance(at);
    this.faults.add(fault);
    // A stuck sensor repeats the last value it read before it stuck.
    if (fault === 'sensor_stuck') this.stuck = this.last;
  }

  clear(fault: FaultName): void {
    this.faults.delete(fault);
    if (fault === 'sensor_stuck') this.stuck = undefined;
  }

  sample(t: number): FieldValues | undefined {
    this.advance(t);
    if (this.has('power_loss')) return undefined;
    const fresh = this.read(this.now as number);
    const fields = this.has('sensor_stuck') ? this.stuckReading(fresh) : fresh;
    this.last = fields;
    return fields;
  }

  /** Walks the state forward to `t` in steps of at most {@link MAX_STEP_MS}. */
  protected advance(t: number): void {
    if (this.now === undefined) {
      this.now = t;
      this.init(t);
      return;
    }
    while (this.now < t) {
      const dt = Math.min(MAX_STEP_MS, t - this.now);
      this.step(this.now, dt / 1000);
      this.now += dt;
    }
  }

  private stuckReading(fresh: FieldValues): FieldValues {
    this.stuck ??= fresh;
    // The probe is stuck; the radio still reports its own battery and signal.
    const { batteryPct, rssiDbm } = fresh;
    return {
      ...this.stuck,
      ...(batteryPct === undefined ? {} : { batteryPct }),
      ...(rssiDbm === undefined ? {} : { rssiDbm }),
    };
  }

  /** Sets up the state at the first sample (random phase, so devices are not in step). */
  protected abstract init(t: number): void;
  /** Advances the physics by `dtS` seconds from time `t`. */
  protected abstract step(t: number, dtS: number): void;
  /** The reading at the current state. */
  protected abstract read(t: number): FieldValues;
}

/** Rounds to a number of decimals, as a device's firmware would before sending. */
export function round(value: number, decimals = 1): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
