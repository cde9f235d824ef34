/**
 * Labelled temperature traces for the anomaly evaluation, from the simulator
 * models: seeded and deterministic, in simulated time (no waiting).
 */
import { Fridge, createModel, type DeviceModel, type FaultName } from '../simulators/models/index.js';
import { hashSeed, Random } from '../simulators/random.js';

export const PROFILES = ['chilled', 'frozen'] as const;
export type Profile = (typeof PROFILES)[number];

/**
 * Faults evaluated: the simulator's own, plus `compressor_degrading`, made here:
 * a compressor that loses capacity linearly to nothing over {@link DEGRADE_MS}
 * (the "compressor failing slowly" of the issue; the simulator only has an abrupt failure).
 */
export const EVAL_FAULTS = ['compressor_failure', 'compressor_degrading', 'door_left_open', 'defrost_stuck', 'sensor_stuck', 'power_loss'] as const;
export type EvalFault = (typeof EVAL_FAULTS)[number];

/** Which faults apply to which profile (a fridge has no defrost; the degrading model is a fridge). */
export const FAULTS_BY_PROFILE: Readonly<Record<Profile, readonly EvalFault[]>> = {
  chilled: ['compressor_failure', 'compressor_degrading', 'door_left_open', 'sensor_stuck', 'power_loss'],
  frozen: ['compressor_failure', 'door_left_open', 'defrost_stuck', 'sensor_stuck', 'power_loss'],
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const STEP_MS = 30_000;
export const TRACE_MS = 72 * HOUR;
/** Faults start in this span of the trace, after the detector's 12 h warm-up. */
const FAULT_FROM_MS = 18 * HOUR;
const FAULT_TO_MS = 54 * HOUR;
const DEGRADE_MS = 10 * HOUR;
/** Midnight in Shanghai, 3 June 2025: the simulated kitchens' service hours are local. */
const T0 = Date.UTC(2025, 5, 2, 16);

/** How long a fault lasts before someone ends it (door shut, power back); absent = to the end of the trace. */
const FAULT_DURATION_MS: Partial<Record<EvalFault, number>> = { door_left_open: 2 * HOUR, power_loss: 2 * HOUR };
/** After a fault ends, the cabinet needs this long to be back to normal: alarms then still belong to the fault. */
const RECOVERY_MS: Partial<Record<EvalFault, number>> = { door_left_open: 2 * HOUR, power_loss: 3 * HOUR };
/** A fault counts as detected if an alarm is raised within this long of its start. */
const HORIZON_MS: Partial<Record<EvalFault, number>> = { compressor_degrading: 12 * HOUR };
const DEFAULT_HORIZON_MS = 6 * HOUR;

export interface Trace {
  profile: Profile;
  fault: EvalFault | null;
  seed: number;
  /** Reading times (epoch ms) and temperatures; a power loss leaves a gap. */
  t: Float64Array;
  v: Float64Array;
  start: number;
  end: number;
  /** The fault: start, and end of the window in which alarms belong to it. */
  faultAt: number | null;
  windowEnd: number | null;
  horizonMs: number;
}

/** A fridge whose compressor loses capacity linearly from `from` over {@link DEGRADE_MS}. */
class DegradingFridge extends Fridge {
  private capacity = 1;
  constructor(
    seed: number,
    private readonly from: number,
  ) {
    super(seed);
  }
  protected override step(t: number, dtS: number): void {
    this.capacity = Math.min(1, Math.max(0, 1 - (t - this.from) / DEGRADE_MS));
    super.step(t, dtS);
  }
  protected override drive(): number {
    return super.drive() * this.capacity;
  }
}

/** One labelled trace; the same (profile, fault, seed) gives the same trace on every run. */
export function makeTrace(profile: Profile, fault: EvalFault | null, seed: number): Trace {
  const rng = new Random(hashSeed(seed, 'trace-timing'));
  // Start anywhere in the day, so faults meet every phase of the kitchen's day.
  const start = T0 + Math.floor(rng.uniform(0, 24)) * HOUR;
  const end = start + TRACE_MS;
  const faultAt = fault ? start + Math.round(rng.uniform(FAULT_FROM_MS, FAULT_TO_MS) / STEP_MS) * STEP_MS : null;
  const model: DeviceModel =
    fault === 'compressor_degrading' ? new DegradingFridge(seed, faultAt as number) : createModel('temperature', profile, seed);
  const simFault: FaultName | null = fault === null || fault === 'compressor_degrading' ? null : fault;
  const duration = fault ? FAULT_DURATION_MS[fault] : undefined;
  const clearAt = faultAt !== null && duration !== undefined ? faultAt + duration : null;
  const n = TRACE_MS / STEP_MS + 1;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let k = 0;
  for (let ts = start; ts <= end; ts += STEP_MS) {
    if (simFault && ts === faultAt) model.inject(simFault, ts);
    if (simFault && ts === clearAt) model.clear(simFault);
    const temp = model.sample(ts)?.temperatureC;
    if (typeof temp !== 'number') continue;
    t[k] = ts;
    v[k] = temp;
    k++;
  }
  const windowEnd = faultAt === null ? null : clearAt === null ? end : Math.min(end, clearAt + (RECOVERY_MS[fault as EvalFault] ?? 0));
  return {
    profile,
    fault,
    seed,
    t: t.subarray(0, k),
    v: v.subarray(0, k),
    start,
    end,
    faultAt,
    windowEnd,
    horizonMs: fault ? (HORIZON_MS[fault] ?? DEFAULT_HORIZON_MS) : 0,
  };
}

/** The seed of trace `i` of a (profile, fault) pair, from the run's base seed. */
export function traceSeed(base: number, profile: Profile, fault: EvalFault | null, i: number): number {
  return hashSeed(base, profile, fault ?? 'none', i);
}
