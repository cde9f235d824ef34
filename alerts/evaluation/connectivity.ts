import { z } from 'zod';
import type { Condition, Device } from '../../contracts/index.js';
import type { TelemetryRecord } from '../../store/index.js';
import type { RuleSettings } from '../rules/index.js';
import type { Rule } from './rule.js';
import { condition, minutesText, restoreState } from './support.js';

const noDataState = z.object({
  /** Server time of the latest reading received in this process, or in the last before it while a silence was under way. */
  lastReceivedAt: z.number().nullable(),
  /** First tick seen, the baseline for a device without a reading to count from. */
  watchingSince: z.number().nullable(),
  active: z.boolean(),
  /** The last tick saw silence beyond a missed reading: not at rest (see {@link NoDataRule.atRest}). */
  missed: z.boolean().default(false),
  /** The device has reported at some time (for the alarm's `neverReported`). */
  reported: z.boolean().optional(),
});

/**
 * no_data: silence per sensor, not per gateway (domain.md), on the server clock:
 * `now − last receivedAt` beyond max(intervalMultiple × expectedIntervalS, minSilenceS).
 * A late batch counts as data (the pipe works again), so it is judged by
 * `receivedAt`, not by its readings' device times. A device that has never
 * reported is silent from the first tick this rule sees. Clears on the next reading.
 *
 * Across a restart: a device whose rules were all at rest when its state was
 * saved is silent from the first tick after the restart, as a new one is (state
 * at rest is saved lazily, so its `lastReceivedAt` may be minutes old, and
 * counting from it would page for every device at once). State saved while
 * anything was under way (a silence, a low battery) was saved at the flush after
 * each reading, and keeps its time.
 */
export class NoDataRule implements Rule {
  readonly id = 'no_data' as const;
  private state: z.infer<typeof noDataState> = { lastReceivedAt: null, watchingSince: null, active: false, missed: false };
  private readonly limitMs: number;
  /** Silence beyond this (a reading missed, and then some) is under way: the state is no longer at rest. */
  private readonly missedMs: number;

  constructor(
    private readonly device: Device,
    private readonly s: RuleSettings['no_data'],
  ) {
    this.limitMs = Math.max(s.intervalMultiple * device.expectedIntervalS, s.minSilenceS) * 1000;
    this.missedMs = Math.min(this.limitMs, 2 * device.expectedIntervalS * 1000);
  }

  reading(record: TelemetryRecord, receivedAt: number): Condition | undefined {
    const st = this.state;
    st.lastReceivedAt = Math.max(st.lastReceivedAt ?? receivedAt, receivedAt);
    st.missed = false;
    if (!st.active) return undefined;
    st.active = false;
    return condition(this.id, false, this.s.severity, receivedAt, `data again after a silence (reading taken ${new Date(record.ts).toISOString()})`, {
      limit: this.limitMs / 1000,
    });
  }

  tick(now: number): Condition | undefined {
    const st = this.state;
    st.watchingSince ??= now;
    if (st.active) return undefined;
    const from = st.lastReceivedAt ?? st.watchingSince;
    const silentMs = now - from;
    st.missed = silentMs > this.missedMs;
    if (silentMs <= this.limitMs) return undefined;
    st.active = true;
    const message = `no data for ${minutesText(silentMs)} (expected every ${this.device.expectedIntervalS} s)`;
    return condition(this.id, true, this.s.severity, from, message, {
      value: Math.round(silentMs / 1000),
      limit: this.limitMs / 1000,
      detail: { expectedIntervalS: this.device.expectedIntervalS, neverReported: st.lastReceivedAt === null && st.reported !== true },
    });
  }

  /** Readings arrive as expected: no silence beyond a missed reading, none alarmed. */
  atRest(): boolean {
    return !this.state.active && !this.state.missed;
  }

  snapshot(): unknown {
    return { ...this.state };
  }

  restore(state: unknown, lazy = false): void {
    const restored = restoreState(noDataState, state, this.state);
    if (restored === this.state || restored.active || !lazy) {
      this.state = restored;
      return;
    }
    // Saved lazily, perhaps minutes late: the silence starts again at the first tick.
    const reported = restored.reported === true || restored.lastReceivedAt !== null;
    this.state = { lastReceivedAt: null, watchingSince: null, active: false, missed: false, reported };
  }
}

const offlineState = z.object({
  /** Server time of the latest presence change applied, to ignore older ones. */
  changedAt: z.number().nullable(),
  offlineSince: z.number().nullable(),
  active: z.boolean(),
});

/**
 * device_offline: the broker saw a disconnect or the last will, and the device did
 * not come back within `graceS` (a keepalive reconnect takes seconds). Starts from
 * the registry's presence, so a device already offline at start-up is caught.
 * Clears on presence true.
 */
export class DeviceOfflineRule implements Rule {
  readonly id = 'device_offline' as const;
  private state: z.infer<typeof offlineState>;

  constructor(
    device: Device,
    private readonly s: RuleSettings['device_offline'],
  ) {
    const offline = !device.online && device.presenceChangedAt !== null;
    this.state = { changedAt: device.presenceChangedAt, offlineSince: offline ? device.presenceChangedAt : null, active: false };
  }

  presence(online: boolean, at: number): Condition | undefined {
    const st = this.state;
    if (st.changedAt !== null && at < st.changedAt) return undefined;
    st.changedAt = at;
    if (!online) {
      st.offlineSince ??= at;
      return undefined;
    }
    const since = st.offlineSince;
    st.offlineSince = null;
    if (!st.active) return undefined;
    st.active = false;
    return condition(this.id, false, this.s.severity, at, `back online after ${minutesText(at - (since ?? at))}`, { limit: this.s.graceS });
  }

  tick(now: number): Condition | undefined {
    const st = this.state;
    if (st.active || st.offlineSince === null || now - st.offlineSince < this.s.graceS * 1000) return undefined;
    st.active = true;
    const message = `offline for ${minutesText(now - st.offlineSince)}`;
    return condition(this.id, true, this.s.severity, st.offlineSince, message, { value: Math.round((now - st.offlineSince) / 1000), limit: this.s.graceS });
  }

  /**
   * Not alarmed. An offline spell under way is at rest too: the registry holds
   * presence durably and every start rebuilds the spell from it.
   */
  atRest(): boolean {
    return !this.state.active;
  }

  snapshot(): unknown {
    return { ...this.state };
  }

  /**
   * Only an alarm is taken from a snapshot: an offline spell without one comes
   * from the registry's presence (the constructor's state), which is durable,
   * where a lazily saved spell may have ended since.
   */
  restore(state: unknown): void {
    const restored = restoreState(offlineState, state, this.state);
    if (restored.active) this.state = restored;
  }
}
