/**
 * An online anomaly detector for one numeric sensor series (a fridge's air
 * temperature), for readings that are unusual although inside the limits.
 *
 * Everything is a running summary with a time-aware decay: a statistic with a
 * half-life of `h` ms gives a reading that is `Δt` ms old the weight
 * `2^(−Δt/h)`, whatever the sampling rate, so irregular or late-thinned series
 * are summarised the same way as regular ones. State is a fixed set of numbers
 * (see {@link DetectorState}, 35 numbers); each update is O(1) in time and memory.
 *
 * Four signals, each turned into *evidence* (1.0 = the edge of normal at the
 * chosen sensitivity), the largest of which becomes the score:
 *
 * - **cycling**: the thermostat saw-tooth followed as alternating rises and
 *   falls (see {@link AnomalyDetector.runs}). A rise that does not turn is a
 *   cabinet warming with nothing pulling it down (compressor failed, defrost
 *   stuck); a fall that stretches is a compressor running ever longer. The
 *   current run is judged against the longest normal run of this device. This
 *   is the fastest signal for a fridge that stopped cycling.
 * - **level_shift**: a two-sided CUSUM on the reading's residual from a long
 *   baseline (EW mean and standard deviation, half-life 24 h), with a slack of
 *   {@link LEVEL_SLACK} standard deviations, accumulated per minute. A door
 *   opening or a freezer's defrost is an excursion too; what tells a broken
 *   compressor or a stuck defrost from them is that it lasts and grows. So the
 *   CUSUM is judged against the largest excursion this device produced recently
 *   without alarming (a slowly decaying maximum): a freezer learns the size of
 *   its defrost peaks, a busy fridge its delivery door-openings.
 * - **drift**: the same on the one-hour EW mean instead of the raw reading, with
 *   a smaller slack: a slow creep of the average that never makes a sharp peak.
 * - **flatline**: the collapse of variance. The ratio of the long to the short
 *   EW variance of the reading-to-reading differences (half-life 5 min) finds a
 *   stuck probe that repeats one value; the ratio of the long to the short
 *   (20 min) variance of the level finds a cabinet whose thermostat saw-tooth
 *   stopped (a compressor that runs without end and settles at one level).
 *   Both ratios are taken as log2, so the evidence grows linearly with the time
 *   the series has been flat.
 *
 * While the score is high, long-horizon statistics learn at a reduced weight
 * (`1 − score`, at least {@link MIN_LEARNING_WEIGHT}), so a fault is not learned
 * as the new normal within hours, yet a real change (a new set point) is
 * absorbed in the end.
 */

import { sensitivityValue, type Sensitivity } from './sensitivity.js';

export * from './sensitivity.js';

/** Which statistic drove a score. */
export const ANOMALY_SIGNALS = ['level_shift', 'drift', 'cycling', 'flatline'] as const;
export type AnomalySignal = (typeof ANOMALY_SIGNALS)[number];

export interface DetectorOptions {
  /** Default `'medium'`. */
  sensitivity?: Sensitivity;
  /**
   * Score is 0 until the series spans this long (ms) *and* has
   * {@link warmupReadings} readings. Default 12 h: long enough for a freezer to
   * show at least one defrost (every 6–8 h) and for a fridge to see a service.
   */
  warmupMs?: number;
  /** Default 120 (an hour at 30 s). */
  warmupReadings?: number;
  /**
   * Smallest standard deviation the series is assumed to have, in its own
   * units (default 0.1: a temperature probe's resolution in °C), so a very
   * steady series does not turn every 0.1 °C step into an alarm.
   */
  minScale?: number;
  /**
   * The longest gap (ms) one reading may account for in the CUSUMs (default
   * 5 min): after a gap the first reading is one reading of evidence, not an
   * hour's worth.
   */
  maxStepMs?: number;
}

/** What a score is made of; for logs, the alert detail and the evaluation. */
export interface Explanation {
  score: number;
  /** The signal with the most evidence, or null before warm-up ends. */
  signal: AnomalySignal | null;
  /** For level_shift and drift: which way the series went. */
  direction: 'up' | 'down' | null;
  /** Evidence per signal; 1.0 is the alarm level at the chosen sensitivity. */
  evidence: Record<AnomalySignal, number>;
}

/** The detector's whole state: numbers only, so it round-trips through JSON. */
export interface DetectorState {
  /** Readings seen. */
  n: number;
  /** First and last reading time (epoch ms). */
  t0: number;
  tLast: number;
  xLast: number;
  /** Last score; it sets the learning weight of the next reading. */
  score: number;
  /** Long baseline: sum of decayed weights, EW mean and variance of the level. */
  wL: number;
  meanL: number;
  varL: number;
  /** Long EW mean square of differences (winsorised) and its weight sum. */
  diffL: number;
  /** Short (5 min) EW mean square of differences and its weight sum. */
  wD: number;
  diffS: number;
  /** Short (20 min) EW mean and variance of the level. */
  wS: number;
  meanS: number;
  varS: number;
  /** Medium (1 h) EW mean of the level. */
  wM: number;
  meanM: number;
  /** CUSUMs (z·minutes): level up/down, drift up/down. */
  cLu: number;
  cLd: number;
  cDu: number;
  cDd: number;
  /** Peak of the excursion in progress, per CUSUM. */
  pLu: number;
  pLd: number;
  pDu: number;
  pDd: number;
  /** Learned reference (decaying maximum of normal excursions), per CUSUM. */
  rLu: number;
  rLd: number;
  rDu: number;
  rDd: number;
  /** Current run: direction (1 rising, −1 falling, 0 not yet known), start time and value, extreme so far and its time. */
  runDir: number;
  runStart: number;
  runFrom: number;
  runExt: number;
  runExtT: number;
  /** Learned longest normal rise and fall (minutes, decaying maximum). */
  rRu: number;
  rRd: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Long baseline half-life: a day, so the daily rhythm of a kitchen is part of normal. */
const LONG_HL = 24 * HOUR;
/** Short horizon of the differences: a stuck probe shows within a few of these. */
const DIFF_HL = 5 * MINUTE;
/** Short horizon of the level: about half a thermostat cycle (fridges cycle in ~30 min). */
const LEVEL_HL = 20 * MINUTE;
/** Drift horizon: long enough to average out thermostat cycles. */
const DRIFT_HL = HOUR;
/** How long a learned excursion size is remembered (half-life). */
const REFERENCE_HL = 3 * 24 * HOUR;
/** CUSUM slack (standard deviations): the thermostat saw-tooth stays inside ±1.5 σ. */
const LEVEL_SLACK = 1.5;
/** Residuals are clipped at ±this many σ before the CUSUM: duration, not height, marks a fault. */
const Z_CLIP = 6;
/** Drift slack (σ) on the one-hour mean. */
const DRIFT_SLACK = 0.5;
/** Smallest excursion reference (σ·min): a device that never strays still needs this much. */
const MIN_LEVEL_REFERENCE = 60;
const MIN_DRIFT_REFERENCE = 30;
/** An excursion is anomalous at this multiple of the largest normal one (medium sensitivity). */
const EXCURSION_MARGIN = 1.8;
/** A run of the saw-tooth ends when the series pulls back this many resolutions (`minScale`) from its extreme. */
const RUN_PULLBACK = 3;
/** ... or this share of the run's amplitude, whichever is more. */
const RUN_PULLBACK_SHARE = 0.2;
/** A rise or fall is anomalous at this multiple of the longest normal one (medium sensitivity). */
const RUN_MARGIN = 1.7;
/** Shortest run reference (minutes). */
const MIN_RUN_REFERENCE_MIN = 20;
/** After warm-up a reference grows by at most this factor per excursion. */
const LEARN_GROWTH = 1.5;
/** log2 variance ratios at the alarm level (medium): 2^6 = a 64-fold collapse. */
const DIFF_COLLAPSE_LOG2 = 6;
const LEVEL_COLLAPSE_LOG2 = 7;
/** CUSUMs start after this share of the warm-up, once the baseline means something. */
const CUSUM_START_SHARE = 0.25;
/** Long statistics keep learning at least this much during an anomaly. */
const MIN_LEARNING_WEIGHT = 0.05;
/** Differences above this multiple of the long mean square are clipped before it learns them. */
const DIFF_WINSOR = 25;
/** The score's steepness around the alarm level: score = e³ / (1 + e³). */
const SCORE_POWER = 3;

const STATE_KEYS: ReadonlyArray<keyof DetectorState> = [
  'n', 't0', 'tLast', 'xLast', 'score', 'wL', 'meanL', 'varL', 'diffL', 'wD', 'diffS', 'wS', 'meanS', 'varS', 'wM', 'meanM',
  'cLu', 'cLd', 'cDu', 'cDd', 'pLu', 'pLd', 'pDu', 'pDd', 'rLu', 'rLd', 'rDu', 'rDd',
  'runDir', 'runStart', 'runFrom', 'runExt', 'runExtT', 'rRu', 'rRd',
];

/**
 * The state, 35 numbers in one Float64Array behind named accessors: a reading
 * rewrites them in place. As fields of a plain object, the server's V8 kept
 * them tagged, so every write of a fraction was a new heap number referenced
 * from an old object: about 15 objects per reading that the next young-generation
 * collection had to find and copy, for every device that reported since the last
 * (bench/README.md, twelfth pass).
 */
class PackedState {
  readonly values = new Float64Array(STATE_KEYS.length);
}
/** Each field's index in PackedState.values. */
const SLOT = Object.fromEntries(STATE_KEYS.map((key, index) => [key, index])) as Record<keyof DetectorState, number>;
/** A PackedState with its accessors, defined below, one per field of DetectorState. */
type State = PackedState & DetectorState;
STATE_KEYS.forEach((key, index) => {
  Object.defineProperty(PackedState.prototype, key, {
    get(this: PackedState): number {
      return this.values[index]!;
    },
    set(this: PackedState, value: number) {
      this.values[index] = value;
    },
  });
});

/** Weight a reading `dtMs` old keeps under half-life `hl`. */
function decay(dtMs: number, hl: number): number {
  return 2 ** (-dtMs / hl);
}

/** Maps evidence (1 = alarm level) to a score in [0, 1): 0.5 at 1, 0.9 at about 2. */
function scoreOf(evidence: number): number {
  if (!(evidence > 0)) return 0;
  const p = evidence ** SCORE_POWER;
  return Number.isFinite(p) ? p / (1 + p) : 1;
}

/** One online detector per sensor series. Not thread-safe, not shared: one instance per device and field. */
export class AnomalyDetector {
  /** The sensitivity in use, in [0, 1]. */
  readonly sensitivity: number;
  private readonly warmupMs: number;
  private readonly warmupReadings: number;
  private readonly minScale: number;
  private readonly maxStepMs: number;
  /** Multiplier on every reference: `2^(1 − 2·sensitivity)`. */
  private readonly strictness: number;
  private readonly s = new PackedState() as State;
  private last: Explanation = AnomalyDetector.quiet();

  constructor(options: DetectorOptions = {}) {
    this.sensitivity = sensitivityValue(options.sensitivity ?? 'medium');
    this.warmupMs = positive('warmupMs', options.warmupMs ?? 12 * HOUR, true);
    this.warmupReadings = positive('warmupReadings', options.warmupReadings ?? 120, true);
    this.minScale = positive('minScale', options.minScale ?? 0.1, false);
    this.maxStepMs = positive('maxStepMs', options.maxStepMs ?? 5 * MINUTE, false);
    this.strictness = 2 ** (1 - 2 * this.sensitivity);
  }

  private static quiet(): Explanation {
    return { score: 0, signal: null, direction: null, evidence: { level_shift: 0, drift: 0, cycling: 0, flatline: 0 } };
  }

  private static quietInto(out: Explanation): void {
    out.score = 0;
    out.signal = null;
    out.direction = null;
    for (const name of ANOMALY_SIGNALS) out.evidence[name] = 0;
  }

  /** True once the warm-up is over and scores mean something. */
  get warm(): boolean {
    return this.s.n >= this.warmupReadings && this.s.tLast - this.s.t0 >= this.warmupMs;
  }

  /**
   * Takes one reading and returns its score in [0, 1] (0 during warm-up; 0.5 is
   * the alarm level at the chosen sensitivity). A reading not later than the
   * previous one brings no new information in time order and returns the
   * previous score unchanged.
   * @throws RangeError on a non-finite time or value.
   */
  update(tsMs: number, value: number): number {
    if (!Number.isFinite(tsMs) || !Number.isFinite(value)) throw new RangeError(`reading must be finite numbers, got ${tsMs}, ${value}`);
    const s = this.s;
    if (s.n === 0) {
      s.n = 1;
      s.t0 = s.tLast = s.runStart = s.runExtT = tsMs;
      s.xLast = s.meanL = s.meanS = s.meanM = s.runExt = s.runFrom = value;
      s.wL = s.wD = s.wS = s.wM = 1;
      s.rLu = s.rLd = MIN_LEVEL_REFERENCE;
      s.rDu = s.rDd = MIN_DRIFT_REFERENCE;
      s.rRu = s.rRd = MIN_RUN_REFERENCE_MIN;
      return 0;
    }
    if (tsMs <= s.tLast) return s.score;
    const dt = tsMs - s.tLast;
    const stepMin = Math.min(dt, this.maxStepMs) / MINUTE;
    const warm = this.warm;
    const diff = value - s.xLast;
    s.n += 1;
    s.tLast = tsMs;
    s.xLast = value;

    // Residual against the baseline as it was before this reading (a prediction error).
    const scale = Math.max(Math.sqrt(s.varL), this.minScale);
    // Clipped: a tall, short spike (a delivery holding the door open) must not outweigh a long, moderate excursion.
    const z = clip((value - s.meanL) / scale, Z_CLIP);

    // Short and medium statistics always learn at full weight: they describe "now".
    s.wD = s.wD * decay(dt, DIFF_HL) + 1;
    s.diffS += (diff * diff - s.diffS) / s.wD;
    s.wS = s.wS * decay(dt, LEVEL_HL) + 1;
    const dS = value - s.meanS;
    const aS = 1 / s.wS;
    s.meanS += aS * dS;
    s.varS = (1 - aS) * (s.varS + aS * dS * dS);
    s.wM = s.wM * decay(dt, DRIFT_HL) + 1;
    s.meanM += (value - s.meanM) / s.wM;
    const zM = (s.meanM - s.meanL) / scale;

    if (tsMs - s.t0 >= this.warmupMs * CUSUM_START_SHARE) {
      this.cusums(z, zM, stepMin, warm);
    }
    this.runs(tsMs, value, warm);
    const refDecay = decay(dt, REFERENCE_HL);
    s.rLu = Math.max(MIN_LEVEL_REFERENCE, s.rLu * refDecay);
    s.rLd = Math.max(MIN_LEVEL_REFERENCE, s.rLd * refDecay);
    s.rDu = Math.max(MIN_DRIFT_REFERENCE, s.rDu * refDecay);
    s.rDd = Math.max(MIN_DRIFT_REFERENCE, s.rDd * refDecay);
    s.rRu = Math.max(MIN_RUN_REFERENCE_MIN, s.rRu * refDecay);
    s.rRd = Math.max(MIN_RUN_REFERENCE_MIN, s.rRd * refDecay);

    // Long baseline: learns less from readings that look anomalous.
    const weight = warm ? Math.max(MIN_LEARNING_WEIGHT, 1 - s.score) : 1;
    s.wL = s.wL * decay(dt, LONG_HL) + weight;
    const aL = weight / s.wL;
    const dL = value - s.meanL;
    s.meanL += aL * dL;
    s.varL = (1 - aL) * (s.varL + aL * dL * dL);
    // A door opening's jump should not teach "differences are large here" for a day.
    const sq = diff * diff;
    const clipped = warm ? Math.min(sq, DIFF_WINSOR * Math.max(s.diffL, this.minScale * this.minScale)) : sq;
    s.diffL += aL * (clipped - s.diffL);

    if (warm) this.explainInto(this.last);
    else AnomalyDetector.quietInto(this.last);
    s.score = this.last.score;
    return s.score;
  }

  /** Advances the four CUSUMs and, when an excursion ends without alarming, learns its size. */
  private cusums(z: number, zM: number, stepMin: number, warm: boolean): void {
    this.cusum('cLu', 'pLu', 'rLu', z - LEVEL_SLACK, stepMin, warm);
    this.cusum('cLd', 'pLd', 'rLd', -z - LEVEL_SLACK, stepMin, warm);
    this.cusum('cDu', 'pDu', 'rDu', zM - DRIFT_SLACK, stepMin, warm);
    this.cusum('cDd', 'pDd', 'rDd', -zM - DRIFT_SLACK, stepMin, warm);
  }

  /** One CUSUM step of `excess` (the statistic minus its slack) over `stepMin` minutes. */
  private cusum(cKey: 'cLu' | 'cLd' | 'cDu' | 'cDd', pKey: 'pLu' | 'pLd' | 'pDu' | 'pDd', rKey: 'rLu' | 'rLd' | 'rDu' | 'rDd', excess: number, stepMin: number, warm: boolean): void {
    // By index into the packed state: a computed key would find the accessors the slow way.
    const v = this.s.values;
    const c = SLOT[cKey];
    const p = SLOT[pKey];
    const r = SLOT[rKey];
    v[c] = Math.max(0, v[c]! + excess * stepMin);
    v[p] = Math.max(v[p]!, v[c]!);
    if (v[c] === 0 && v[p]! > 0) {
      // The excursion is over: it was survivable, so it teaches what is normal here, but by at
      // most LEARN_GROWTH at a time, so a fault that ended does not blind the detector.
      v[r] = learn(v[r]!, v[p]!, warm);
      v[p] = 0;
    }
  }

  /**
   * Follows the thermostat's saw-tooth as alternating rises and falls: a run
   * ends when the series pulls back from its extreme by {@link RUN_PULLBACK}
   * resolutions. A completed run that did not alarm teaches the longest normal
   * rise (or fall). A rise that does not end is a cabinet that warms with
   * nothing pulling it down (compressor or defrost control failed); a fall that
   * stretches is a compressor that runs ever longer to reach its cut-out.
   */
  private runs(t: number, x: number, warm: boolean): void {
    const s = this.s;
    if (s.runDir === 0) {
      if (Math.abs(x - s.runExt) < RUN_PULLBACK * this.minScale) return;
      s.runDir = x > s.runExt ? 1 : -1;
    }
    if ((x - s.runExt) * s.runDir >= 0) {
      if (x !== s.runExt) s.runExtT = t;
      s.runExt = x;
      return;
    }
    // A door opening's bump in the middle of a defrost's long pull-down is not a turn of the cycle.
    const pullback = Math.max(RUN_PULLBACK * this.minScale, RUN_PULLBACK_SHARE * Math.abs(s.runExt - s.runFrom));
    if (Math.abs(x - s.runExt) < pullback) return;
    const minutes = (s.runExtT - s.runStart) / MINUTE;
    if (s.runDir > 0) s.rRu = learn(s.rRu, minutes, warm);
    else s.rRd = learn(s.rRd, minutes, warm);
    s.runDir = -s.runDir;
    s.runFrom = s.runExt;
    s.runStart = s.runExtT;
    s.runExt = x;
    s.runExtT = t;
  }

  /** Writes what the state says now into `out` (in place: this runs on every reading of every device). */
  private explainInto(out: Explanation): void {
    const s = this.s;
    const k = this.strictness;
    const up = s.cLu / s.rLu >= s.cLd / s.rLd;
    const level = Math.max(s.cLu / s.rLu, s.cLd / s.rLd) / (EXCURSION_MARGIN * k);
    const driftUp = s.cDu / s.rDu >= s.cDd / s.rDd;
    const drift = Math.max(s.cDu / s.rDu, s.cDd / s.rDd) / (EXCURSION_MARGIN * k);
    // eps keeps a perfectly flat series finite: a hundredth of the resolution, squared.
    const eps = (this.minScale / 100) ** 2;
    const diffCollapse = Math.log2((s.diffL + eps) / (s.diffS + eps)) / DIFF_COLLAPSE_LOG2;
    const levelCollapse = Math.log2((s.varL + eps) / (s.varS + eps)) / LEVEL_COLLAPSE_LOG2;
    const flat = Math.max(0, diffCollapse, levelCollapse) / k;
    const runMinutes = s.runDir === 0 ? 0 : (s.runExtT - s.runStart) / MINUTE;
    const cycling = runMinutes / ((s.runDir > 0 ? s.rRu : s.rRd) * RUN_MARGIN * k);
    const evidence = out.evidence;
    evidence.level_shift = level;
    evidence.drift = drift;
    evidence.cycling = cycling;
    evidence.flatline = flat;
    let signal: AnomalySignal = 'level_shift';
    for (const name of ANOMALY_SIGNALS) if (evidence[name] > evidence[signal]) signal = name;
    out.direction =
      signal === 'level_shift' ? (up ? 'up' : 'down') : signal === 'drift' ? (driftUp ? 'up' : 'down') : signal === 'cycling' ? (s.runDir > 0 ? 'up' : 'down') : null;
    out.signal = signal;
    out.score = scoreOf(evidence[signal]);
  }

  /** What the latest score was made of. */
  explain(): Explanation {
    return { ...this.last, evidence: { ...this.last.evidence } };
  }

  /** The state as plain JSON (numbers only); restore it into a detector with the same options. */
  snapshot(): DetectorState {
    const out = {} as DetectorState;
    STATE_KEYS.forEach((key, index) => (out[key] = this.s.values[index]!));
    return out;
  }

  /**
   * Restores a {@link snapshot}. Returns false, and keeps the current state,
   * when `state` is not one (a field missing or not a finite number).
   */
  restore(state: unknown): boolean {
    if (typeof state !== 'object' || state === null) return false;
    const record = state as Record<string, unknown>;
    if (!STATE_KEYS.every((k) => typeof record[k] === 'number' && Number.isFinite(record[k]))) return false;
    STATE_KEYS.forEach((key, index) => (this.s.values[index] = record[key] as number));
    if (this.s.n > 0 && this.warm) this.explainInto(this.last);
    else AnomalyDetector.quietInto(this.last);
    return true;
  }
}

/** A learned reference after a completed excursion or run of size `seen`. */
function learn(reference: number, seen: number, warm: boolean): number {
  return Math.max(reference, warm ? Math.min(seen, LEARN_GROWTH * reference) : seen);
}

function clip(x: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, x));
}

function positive(name: string, value: number, allowZero: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, not ${value}`);
  return value;
}
