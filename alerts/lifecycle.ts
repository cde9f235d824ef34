import { EventEmitter } from 'node:events';
import {
  AlertTransitionError,
  SYSTEM_ACTOR,
  type Alert,
  type Condition,
  type DeviceId,
  type EscalationLevel,
  type RuleId,
  type SiteId,
} from '../contracts/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AlertPatch, AlertStore, FindingRecord, NewAlertEvent } from '../store/index.js';
import { FINDING_SEVERITY, type AlertPolicy } from './policy.js';

/** Why people are told about an alert. */
export type NotificationKind = 'raised' | 'upgraded' | 'escalated' | 'reminder' | 'resolved';

export interface LifecycleEvents {
  'alert:raised': [alert: Alert];
  'alert:updated': [alert: Alert];
  'alert:resolved': [alert: Alert];
  /** Someone outside the dashboard should hear about this (already counted against the alert's cap). */
  'alert:notify': [kind: NotificationKind, alert: Alert];
}

export interface LifecycleOptions {
  alerts: AlertStore;
  policy: AlertPolicy;
  metrics: Metrics;
  logger: Logger;
  /** Server clock, epoch ms. */
  clock: () => number;
}

/**
 * A person resolving, confirming or dismissing an alert nobody had acknowledged is its
 * first human response: it is recorded as the acknowledgement, so time to acknowledge
 * counts alerts handled straight from `open` instead of leaving them out.
 */
function firstResponse(alert: Alert, actor: string, now: number): Pick<AlertPatch, 'acknowledgedAt' | 'acknowledgedBy'> {
  return alert.state === 'open' ? { acknowledgedAt: now, acknowledgedBy: actor } : {};
}

const keyOf = (deviceId: DeviceId, rule: RuleId) => `${deviceId}\u0000${rule}`;
const LEVEL_RANK: Readonly<Record<EscalationLevel, number>> = { township: 0, district: 1, city: 2 };

/**
 * The alert lifecycle: turns rule verdicts, AI findings and people's actions into
 * alerts and their history. One active alert per (device, rule): a repeat updates
 * it. open → acknowledged → resolved, automatically when the condition clears, or
 * by a person with a corrective-action note.
 *
 * Every change goes through one serial queue, so a verdict from ingest and a click
 * in the dashboard on the same alert never interleave. The queue holds a change
 * until it is committed; what the change tells the world (its live event, a
 * notification, the answer to the person who made it) waits for the disk after
 * that, outside the queue, so one sync covers the changes made meanwhile and a
 * busy event loop does not make each change wait for a sync of its own. The
 * active alerts are held in memory (loaded at start), so a reading that changes
 * nothing costs no query.
 */
export class AlertLifecycle extends EventEmitter<LifecycleEvents> {
  private readonly active = new Map<string, Alert>();
  /** Recent automatic resolutions per (device, rule), to recognise flapping. */
  private readonly recentClears = new Map<string, number[]>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The newest change's answer: settles after every earlier one's (see {@link serial}). */
  private told: Promise<unknown> = Promise.resolve();
  /** The change the queue is running: whether it wrote, and what it tells the world once that is on disk. */
  private change: { wrote: boolean; effects: (() => void)[] } | undefined;

  constructor(private readonly options: LifecycleOptions) {
    super();
  }

  /** Loads the alerts that were active when the process stopped. */
  async start(): Promise<void> {
    for (const alert of await this.options.alerts.listActive()) this.active.set(keyOf(alert.deviceId, alert.rule), alert);
    this.options.metrics.alertsActive.set(this.active.size);
  }

  /** The active alert of a device for a rule, if any (from memory). */
  activeAlert(deviceId: DeviceId, rule: RuleId): Alert | undefined {
    return this.active.get(keyOf(deviceId, rule));
  }

  /** Applies a rule's verdict about a device. */
  applyCondition(deviceId: DeviceId, siteId: SiteId, condition: Condition): Promise<void> {
    return this.serial(async () => {
      const existing = this.active.get(keyOf(deviceId, condition.rule));
      if (condition.active) {
        if (existing) await this.repeat(existing, condition);
        else await this.raise(deviceId, siteId, condition);
      } else if (existing) {
        await this.clear(existing, condition.at);
      }
    });
  }

  /** An AI camera finding: raised for a person to confirm or dismiss; a repeat of the same type updates it. */
  raiseFinding(finding: FindingRecord, siteId: SiteId): Promise<void> {
    const rule = `finding.${finding.type}` as const;
    return this.serial(async () => {
      const now = this.options.clock();
      const existing = this.active.get(keyOf(finding.deviceId, rule));
      const detail = { confidence: finding.confidence, zone: finding.zone ?? null, snapshotUrl: finding.snapshotUrl ?? null };
      if (existing) {
        await this.save(existing, { lastSeenAt: finding.ts, occurrences: existing.occurrences + 1, value: finding.confidence, detail, updatedAt: now }, [], 'alert:updated');
        return;
      }
      await this.create({
        deviceId: finding.deviceId,
        siteId,
        rule,
        category: 'finding',
        severity: FINDING_SEVERITY[finding.type],
        raisedAt: finding.ts,
        value: finding.confidence,
        limit: null,
        message: `camera reported ${finding.type.replaceAll('_', ' ')} (confidence ${Math.round(finding.confidence * 100)}%), to be confirmed or dismissed`,
        detail,
        verdict: 'pending',
        flapping: false,
      });
    });
  }

  acknowledge(id: number, actor: string): Promise<Alert> {
    return this.act(id, (alert, now) => {
      if (alert.state !== 'open') throw new AlertTransitionError('invalid_transition', `alert is ${alert.state}; only an open alert can be acknowledged`);
      return { patch: { state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: actor }, events: [{ at: now, actor, type: 'acknowledged' }] };
    });
  }

  comment(id: number, actor: string, text: string): Promise<Alert> {
    return this.act(id, (_alert, now) => ({ patch: {}, events: [{ at: now, actor, type: 'commented', text }] }));
  }

  assign(id: number, actor: string, assignee: string | null): Promise<Alert> {
    return this.act(id, (alert, now) => {
      if (alert.state === 'resolved') throw new AlertTransitionError('invalid_transition', 'a resolved alert cannot be assigned');
      return { patch: { assignee }, events: [{ at: now, actor, type: 'assigned', text: assignee }] };
    });
  }

  /**
   * Resolves with a corrective action. On an alert that already cleared by itself
   * this records what was done (it then counts as rectified); a pending finding
   * resolved this way is thereby confirmed.
   */
  resolve(id: number, actor: string, correctiveAction: string): Promise<Alert> {
    return this.act(id, (alert, now) => {
      if (alert.resolution === 'corrected' || alert.resolution === 'dismissed') {
        throw new AlertTransitionError('invalid_transition', `alert is already ${alert.resolution}`);
      }
      const patch: AlertPatch = { state: 'resolved', resolution: 'corrected', correctiveAction, ...firstResponse(alert, actor, now) };
      if (alert.state !== 'resolved') Object.assign(patch, { resolvedAt: now, resolvedBy: actor });
      if (alert.verdict === 'pending') patch.verdict = 'confirmed';
      return { patch, events: [{ at: now, actor, type: 'resolved', text: correctiveAction, detail: { resolution: 'corrected' } }] };
    });
  }

  /** A person confirms an AI finding is real; it stays active until resolved with a corrective action. */
  confirm(id: number, actor: string): Promise<Alert> {
    return this.act(id, (alert, now) => {
      if (alert.category !== 'finding') throw new AlertTransitionError('not_a_finding', 'only AI findings are confirmed or dismissed');
      if (alert.verdict !== 'pending' || alert.state === 'resolved') throw new AlertTransitionError('invalid_transition', `finding is already ${alert.verdict}`);
      const patch: AlertPatch = { verdict: 'confirmed' };
      if (alert.state === 'open') Object.assign(patch, { state: 'acknowledged', ...firstResponse(alert, actor, now) });
      return { patch, events: [{ at: now, actor, type: 'confirmed' }] };
    });
  }

  /** A person judges an AI finding wrong (a cat flagged as a rat): resolved as dismissed, with the reason. */
  dismiss(id: number, actor: string, reason: string): Promise<Alert> {
    return this.act(id, (alert, now) => {
      if (alert.category !== 'finding') throw new AlertTransitionError('not_a_finding', 'only AI findings are confirmed or dismissed');
      if (alert.state === 'resolved') throw new AlertTransitionError('invalid_transition', 'finding is already resolved');
      if (alert.verdict === 'confirmed') throw new AlertTransitionError('invalid_transition', 'a confirmed finding is resolved with a corrective action, not dismissed');
      return {
        patch: { state: 'resolved', resolution: 'dismissed', verdict: 'dismissed', resolvedAt: now, resolvedBy: actor, ...firstResponse(alert, actor, now) },
        events: [{ at: now, actor, type: 'resolved', text: reason, detail: { resolution: 'dismissed' } }],
      };
    });
  }

  /**
   * Time-driven changes, called periodically with the server clock: escalation of
   * unacknowledged alerts up the jurisdiction, reminders while unresolved, and the
   * resolution of flapping alerts that stayed quiet.
   */
  sweep(): Promise<void> {
    return this.serial(async () => {
      const now = this.options.clock();
      const { policy } = this.options;
      for (const alert of [...this.active.values()]) {
        if (alert.flapping && alert.clearedAt !== null && now - alert.clearedAt >= policy.flapQuietMs) {
          await this.resolveCleared(alert, now, alert.clearedAt);
          continue;
        }
        if (alert.severity === 'info') continue;
        const age = now - alert.createdAt;
        const due: EscalationLevel =
          alert.state !== 'open' ? alert.escalation : age >= policy.escalateToCityAfterMs ? 'city' : age >= policy.escalateToDistrictAfterMs ? 'district' : 'township';
        if (LEVEL_RANK[due] > LEVEL_RANK[alert.escalation]) {
          const event: NewAlertEvent = { at: now, actor: SYSTEM_ACTOR, type: 'escalated', text: due, detail: { from: alert.escalation, to: due } };
          await this.save(alert, { escalation: due, updatedAt: now }, [event], 'alert:updated', 'escalated');
        } else if (!alert.flapping && alert.notifications < policy.maxNotificationsPerAlert && now - (alert.notifiedAt ?? alert.createdAt) >= policy.reminderEveryMs) {
          await this.save(alert, { updatedAt: now }, [{ at: now, actor: SYSTEM_ACTOR, type: 'reminded' }], undefined, 'reminder');
        }
      }
      for (const [key, times] of this.recentClears) {
        if (times.every((t) => now - t > policy.flapWindowMs)) this.recentClears.delete(key);
      }
    });
  }

  /** Waits for every queued change, and for what it tells the world. */
  async drain(): Promise<void> {
    for (;;) {
      const [queue, told] = [this.queue, this.told];
      await queue;
      await told;
      if (queue === this.queue && told === this.told) return;
    }
  }

  // ---- internals --------------------------------------------------------------

  /**
   * Runs `work` after every change queued before it. The queue moves on once the
   * work has committed; the promise returned resolves after that is on disk and
   * the work's effects ({@link afterSync}) have run. Effects run in the order of
   * the changes: a later change's sync never resolves before an earlier one's.
   */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const ran = this.queue.then(async () => {
      const change = { wrote: false, effects: [] as (() => void)[] };
      this.change = change;
      try {
        return { ok: true as const, value: await work(), change };
      } catch (error) {
        return { ok: false as const, error, change };
      } finally {
        this.change = undefined;
      }
    });
    // The queue continues after a failure; the caller still sees it. A refused user action is the caller's 409, not a fault.
    this.queue = ran.then((r) => {
      if (!r.ok && !(r.error instanceof AlertTransitionError)) this.options.logger.error({ err: r.error }, 'alert change failed');
    });
    // What a change wrote before it failed (a sweep's first escalations) is still announced.
    const told = ran.then(async (r) => {
      if (r.change.wrote) {
        try {
          // A turn of the loop first: the changes queued in this one (a reading's several verdicts) commit meanwhile
          // and share the sync, so they are announced together; a sync each spread them over the live push's batch
          // windows. Not the whole queue: waiting for it gave two fan-out runs in six an alert p99 near 600 ms.
          await new Promise((resolve) => setImmediate(resolve));
          await this.options.alerts.synced();
        } catch (error) {
          this.options.logger.error({ err: error }, 'alert change committed but not synced to disk; not announced');
          throw error;
        }
      }
      for (const effect of r.change.effects) effect();
      if (!r.ok) throw r.error;
      return r.value;
    });
    this.told = told.catch(() => undefined);
    return told;
  }

  /** Runs `effect` once the change being made is on disk (at once outside a change). */
  private afterSync(effect: () => void): void {
    if (this.change) this.change.effects.push(effect);
    else effect();
  }

  /** The change being made wrote to the store: its answer waits for the disk. */
  private wrote(): void {
    if (this.change) this.change.wrote = true;
  }

  /** A user action: load, check the transition, save, emit. 404s are the API's job (scope); here a missing id is a RangeError. */
  private act(id: number, decide: (alert: Alert, now: number) => { patch: AlertPatch; events: NewAlertEvent[] }): Promise<Alert> {
    return this.serial(async () => {
      const alert = await this.options.alerts.get(id);
      if (!alert) throw new RangeError(`alert ${id} does not exist`);
      const now = this.options.clock();
      const { patch, events } = decide(alert, now);
      const resolving = patch.state === 'resolved' && alert.state !== 'resolved';
      return this.save(alert, { ...patch, updatedAt: now }, events, resolving ? 'alert:resolved' : 'alert:updated');
    });
  }

  private async raise(deviceId: DeviceId, siteId: SiteId, condition: Condition): Promise<void> {
    const { policy } = this.options;
    const key = keyOf(deviceId, condition.rule);
    const now = this.options.clock();
    const clears = (this.recentClears.get(key) ?? []).filter((t) => now - t <= policy.flapWindowMs);
    // This raise plus the recent ones: enough in the window means the rule is flapping.
    const flapping = clears.length + 1 >= policy.flapRaises;
    await this.create({
      deviceId,
      siteId,
      rule: condition.rule,
      category: 'condition',
      severity: condition.severity,
      raisedAt: condition.at,
      value: condition.value,
      limit: condition.limit,
      message: condition.message,
      detail: condition.detail ?? {},
      verdict: null,
      flapping,
    });
  }

  private async create(fields: Pick<Alert, 'deviceId' | 'siteId' | 'rule' | 'category' | 'severity' | 'raisedAt' | 'value' | 'limit' | 'message' | 'detail' | 'verdict' | 'flapping'>): Promise<void> {
    const now = this.options.clock();
    const notify = fields.severity !== 'info' && !fields.flapping && this.options.policy.maxNotificationsPerAlert > 0;
    const event: NewAlertEvent = { at: now, actor: SYSTEM_ACTOR, type: 'raised', text: fields.message, detail: { severity: fields.severity, value: fields.value, flapping: fields.flapping } };
    const alert = await this.options.alerts.create(
      {
        ...fields,
        state: 'open',
        createdAt: now,
        lastSeenAt: fields.raisedAt,
        clearedAt: null,
        occurrences: 1,
        acknowledgedAt: null,
        acknowledgedBy: null,
        assignee: null,
        resolvedAt: null,
        resolvedBy: null,
        resolution: null,
        correctiveAction: null,
        escalation: 'township',
        notifications: notify ? 1 : 0,
        notifiedAt: notify ? now : null,
        updatedAt: now,
      },
      event,
    );
    this.wrote();
    this.active.set(keyOf(alert.deviceId, alert.rule), alert);
    this.options.metrics.alertsActive.set(this.active.size);
    this.options.metrics.alertTransitions.inc({ rule: alert.rule, change: 'raised' });
    this.afterSync(() => this.emit('alert:raised', alert));
    if (notify) this.afterSync(() => this.emit('alert:notify', 'raised', alert));
    else if (fields.flapping) this.options.metrics.notifications.inc({ channel: 'all', outcome: 'suppressed_flapping' });
  }

  private async repeat(alert: Alert, condition: Condition): Promise<void> {
    const now = this.options.clock();
    const upgraded = SEVERITY_RANK[condition.severity] > SEVERITY_RANK[alert.severity];
    const changed = condition.severity !== alert.severity;
    const patch: AlertPatch = {
      severity: condition.severity,
      value: condition.value,
      limit: condition.limit,
      message: condition.message,
      detail: condition.detail ?? {},
      lastSeenAt: Math.max(alert.lastSeenAt, condition.at),
      occurrences: alert.occurrences + 1,
      clearedAt: null,
      updatedAt: now,
    };
    const events: NewAlertEvent[] = changed
      ? [{ at: now, actor: SYSTEM_ACTOR, type: 'updated', text: condition.message, detail: { from: alert.severity, to: condition.severity } }]
      : [];
    await this.save(alert, patch, events, 'alert:updated', upgraded ? 'upgraded' : undefined);
  }

  /** The condition cleared: resolve, unless the alert is flapping, which is held open until quiet. */
  private async clear(alert: Alert, at: number): Promise<void> {
    const now = this.options.clock();
    if (alert.flapping) {
      await this.save(alert, { clearedAt: at, updatedAt: now }, [], 'alert:updated');
      return;
    }
    await this.resolveCleared(alert, now, at);
  }

  /** `clearedAt`: when the condition cleared (device time for reading-driven rules); `now`: when it is resolved. */
  private async resolveCleared(alert: Alert, now: number, clearedAt: number): Promise<void> {
    const key = keyOf(alert.deviceId, alert.rule);
    this.recentClears.set(key, [...(this.recentClears.get(key) ?? []), now].slice(-this.options.policy.flapRaises));
    const events: NewAlertEvent[] = [{ at: now, actor: SYSTEM_ACTOR, type: 'resolved', detail: { resolution: 'cleared' } }];
    const patch: AlertPatch = { state: 'resolved', resolution: 'cleared', clearedAt, resolvedAt: now, resolvedBy: SYSTEM_ACTOR, updatedAt: now };
    // People who were told it started are told it ended; that message is not counted against the cap.
    const saved = await this.save(alert, patch, events, 'alert:resolved');
    if (alert.notifications > 0) this.afterSync(() => this.emit('alert:notify', 'resolved', saved));
  }

  /**
   * Stores a change, keeps the in-memory index in step, emits the live event and,
   * if asked and under the cap, a notification (counted in the same write).
   */
  private async save(alert: Alert, patch: AlertPatch, events: readonly NewAlertEvent[], live?: keyof LifecycleEvents, notify?: NotificationKind): Promise<Alert> {
    const { policy, metrics } = this.options;
    let notifying = false;
    if (notify) {
      if (alert.flapping) metrics.notifications.inc({ channel: 'all', outcome: 'suppressed_flapping' });
      else if (alert.notifications >= policy.maxNotificationsPerAlert) metrics.notifications.inc({ channel: 'all', outcome: 'suppressed_cap' });
      else notifying = true;
    }
    if (notifying) patch = { ...patch, notifications: alert.notifications + 1, notifiedAt: this.options.clock() };
    const saved = await this.options.alerts.update(alert.id, patch, events);
    this.wrote();
    const key = keyOf(saved.deviceId, saved.rule);
    if (saved.state === 'resolved') {
      if (this.active.get(key)?.id === saved.id) this.active.delete(key);
    } else {
      this.active.set(key, saved);
    }
    metrics.alertsActive.set(this.active.size);
    if (live === 'alert:resolved') metrics.alertTransitions.inc({ rule: saved.rule, change: 'resolved' });
    if (live === 'alert:raised' || live === 'alert:updated' || live === 'alert:resolved') this.afterSync(() => this.emit(live, saved));
    if (notifying && notify) this.afterSync(() => this.emit('alert:notify', notify, saved));
    return saved;
  }
}

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;
