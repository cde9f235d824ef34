import type { Condition, ConditionDetail, Severity } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import type { Rule, RuleTarget } from '../evaluation/rule.js';
import { AnomalyDetector, type DetectorOptions, type DetectorState, type Explanation, type Sensitivity } from './detector.js';

export interface AnomalyRuleOptions {
  /** How readily the detector calls something anomalous; default `'medium'`. */
  sensitivity?: Sensitivity;
  /** Severity of the alert it raises (the rule pack's `anomaly.severity`); default `warning`. */
  severity?: Severity;
  /** Score at or above which a reading counts towards raising (default 0.5: the detector's alarm level). */
  raiseScore?: number;
  /** The score must stay raised this long (ms, default 10 min) ... */
  raiseHoldMs?: number;
  /** ... and over at least this many readings (default 3) before the condition becomes active. */
  raiseReadings?: number;
  /** Score below which a reading counts towards clearing (default 0.25): hysteresis against flapping. */
  clearScore?: number;
  /** The score must stay below `clearScore` this long (ms, default 30 min) to clear. */
  clearHoldMs?: number;
  /** Detector tuning beyond the sensitivity (warm-up, resolution); defaults suit a temperature probe. */
  detector?: Omit<DetectorOptions, 'sensitivity'>;
}

/** The field this rule watches on a temperature device. */
const FIELD = 'temperatureC';
const MINUTE = 60_000;

const SIGNAL_TEXT = {
  level_shift: 'a sustained departure from its usual range',
  drift: 'a slow drift of its average',
  cycling: 'a thermostat cycle that does not turn (warming or cooling without end)',
  flatline: 'a flat line (stuck probe or a thermostat that stopped cycling)',
} as const;

interface RuleState {
  v: 1;
  detector: DetectorState;
  active: boolean;
  /** Start of the current run of readings above (inactive) or below (active) the threshold; null if none. */
  since: number | null;
  count: number;
  /** Highest score while active, reported on clearing. */
  peak: number;
}

/**
 * The `anomaly` rule: wraps one {@link AnomalyDetector} over a temperature
 * device's `temperatureC`. It becomes active when the score stays at or above
 * `raiseScore` for `raiseHoldMs` and `raiseReadings`, and clears when it stays
 * below `clearScore` for `clearHoldMs`; severity is always `warning`, because
 * an anomaly inside the limits is a reason to look, not a breach.
 */
export class AnomalyRule implements Rule {
  readonly id = 'anomaly' as const;
  private readonly detector: AnomalyDetector;
  private readonly raiseScore: number;
  private readonly raiseHoldMs: number;
  private readonly raiseReadings: number;
  private readonly clearScore: number;
  private readonly clearHoldMs: number;
  private readonly severity: Severity;
  private active = false;
  private since: number | null = null;
  private count = 0;
  private peak = 0;

  constructor(
    readonly target: RuleTarget,
    options: AnomalyRuleOptions = {},
  ) {
    this.detector = new AnomalyDetector({ ...options.detector, sensitivity: options.sensitivity ?? 'medium' });
    this.severity = options.severity ?? 'warning';
    this.raiseScore = options.raiseScore ?? 0.5;
    this.raiseHoldMs = options.raiseHoldMs ?? 5 * MINUTE;
    this.raiseReadings = options.raiseReadings ?? 3;
    this.clearScore = options.clearScore ?? 0.25;
    this.clearHoldMs = options.clearHoldMs ?? 30 * MINUTE;
    if (!(this.clearScore < this.raiseScore && this.clearScore >= 0 && this.raiseScore <= 1)) {
      throw new RangeError(`anomaly rule needs 0 <= clearScore < raiseScore <= 1, got ${this.clearScore} and ${this.raiseScore}`);
    }
  }

  /** The detector's latest explanation (score, signal, evidence), for insight and tests. */
  explain(): Explanation {
    return this.detector.explain();
  }

  reading(record: TelemetryRecord): Condition | undefined {
    const value = record.values[FIELD];
    // A reading without the field (or a boolean) says nothing about the series.
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    const score = this.detector.update(record.ts, value);
    return this.active ? this.whileActive(record.ts, score) : this.whileInactive(record.ts, score);
  }

  private whileInactive(ts: number, score: number): Condition | undefined {
    if (score < this.raiseScore) {
      this.since = null;
      this.count = 0;
      return undefined;
    }
    if (this.since === null) this.since = ts;
    this.count += 1;
    if (ts - this.since < this.raiseHoldMs || this.count < this.raiseReadings) return undefined;
    const at = this.since;
    this.active = true;
    this.since = null;
    this.count = 0;
    this.peak = score;
    return this.condition(true, at, score);
  }

  private whileActive(ts: number, score: number): Condition | undefined {
    this.peak = Math.max(this.peak, score);
    if (score >= this.clearScore) {
      this.since = null;
      return undefined;
    }
    if (this.since === null) this.since = ts;
    if (ts - this.since < this.clearHoldMs) return undefined;
    const at = this.since;
    this.active = false;
    this.since = null;
    const peak = this.peak;
    this.peak = 0;
    return this.condition(false, at, score, peak);
  }

  private condition(active: boolean, at: number, score: number, peak?: number): Condition {
    const why = this.detector.explain();
    const signal = why.signal ?? 'level_shift';
    const detail: ConditionDetail = {
      signal,
      direction: why.direction,
      sensitivity: this.detector.sensitivity,
      level_shift: round(why.evidence.level_shift),
      drift: round(why.evidence.drift),
      cycling: round(why.evidence.cycling),
      flatline: round(why.evidence.flatline),
    };
    if (peak !== undefined) detail.peakScore = round(peak);
    const label = this.target.device.label;
    const message = active
      ? `${label}: temperature shows ${SIGNAL_TEXT[signal]}${why.direction ? ` (${why.direction})` : ''}, anomaly score ${score.toFixed(2)}`
      : `${label}: temperature is back to its usual pattern`;
    return { rule: 'anomaly', active, severity: this.severity, at, value: round(score), limit: this.raiseScore, message, detail };
  }

  /**
   * Neither raised nor holding toward raising. The detector's statistics change
   * with every reading, but a few minutes of them lost in a restart only delay what
   * it notices, by about as long.
   */
  atRest(): boolean {
    return !this.active && this.since === null;
  }

  snapshot(): RuleState {
    return { v: 1, detector: this.detector.snapshot(), active: this.active, since: this.since, count: this.count, peak: this.peak };
  }

  restore(state: unknown): void {
    if (typeof state !== 'object' || state === null) return;
    const s = state as Partial<RuleState>;
    if (s.v !== 1 || typeof s.active !== 'boolean' || typeof s.count !== 'number' || typeof s.peak !== 'number') return;
    if (!(s.since === null || typeof s.since === 'number')) return;
    if (!this.detector.restore(s.detector)) return;
    this.active = s.active;
    this.since = s.since;
    this.count = s.count;
    this.peak = s.peak;
  }
}

/**
 * The `anomaly` rule for one temperature device.
 * @throws RangeError for a device that is not a temperature device, or bad options.
 */
export function createAnomalyRule(target: RuleTarget, options: AnomalyRuleOptions = {}): AnomalyRule {
  if (target.device.kind !== 'temperature') {
    throw new RangeError(`the anomaly rule watches temperature devices; ${target.device.id} is ${target.device.kind}`);
  }
  return new AnomalyRule(target, options);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
