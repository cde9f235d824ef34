import type { Condition, ConditionRuleId, Device, Site } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';

/** The device a rule instance watches, and where it is. */
export interface RuleTarget {
  device: Device;
  site: Pick<Site, 'id' | 'timezone'>;
}

/**
 * One rule watching one device, in memory. The engine calls it for every stored
 * reading of the device, for presence changes, and on a periodic tick (for
 * conditions that come from silence or the passage of time). Each method returns
 * a {@link Condition} only when the rule's verdict changes: it became active, it
 * cleared, or its severity changed while active; otherwise `undefined`.
 *
 * Work per call is O(1) in time and memory: a rule keeps running summaries, never
 * a window of readings. Its state round-trips through {@link snapshot} and
 * {@link restore} (plain JSON) so it survives a restart.
 */
export interface Rule {
  readonly id: ConditionRuleId;
  reading?(record: TelemetryRecord, receivedAt: number): Condition | undefined;
  presence?(online: boolean, at: number): Condition | undefined;
  /** Server clock, epoch ms; called every few seconds. */
  tick?(now: number): Condition | undefined;
  /** Facts worth showing even when nothing alarms (e.g. the oil separator's forecast full time). */
  insight?(): Record<string, number | string | boolean | null>;
  snapshot(): unknown;
  /**
   * True when the rule holds nothing a restart must not lose: no excursion, delay
   * or clock under way and no active verdict, so a snapshot a few minutes old
   * would restore the same verdicts at the same times. The engine saves such state
   * lazily (at most every few minutes) and any other state at its next flush. A
   * rule without this method is never at rest: its state is saved promptly.
   */
  atRest?(): boolean;
  /**
   * Restores a snapshot taken by the same rule; ignores one it does not understand.
   * `lazy`: it comes from the store and was saved while the device was at rest, so
   * it may be minutes older than the rule's last change (otherwise it was saved at
   * the flush after the change, or taken live for a reconfiguration).
   */
  restore(state: unknown, lazy?: boolean): void;
}
