import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { hashSeed } from '../contracts/hash.js';
import type { Condition, DeviceId, PresenceChange, Site, SiteId } from '../contracts/index.js';
import type { Logger } from '../observability/logger.js';
import type { FindingRecord, RegistryStore, RuleStateStore, TelemetryRecord } from '../store/index.js';
import type { RuleTarget } from './evaluation/rule.js';
import type { AlertLifecycle } from './lifecycle.js';
import { LoopShare } from '../store/loop-share.js';

/** Every rule of one device, as the engine drives them (alerts/evaluation/device-rules.ts). */
export interface DeviceEvaluator {
  reading(record: TelemetryRecord): Condition[];
  presence(online: boolean, at: number): Condition[];
  tick(now: number): Condition[];
  snapshot(): unknown;
  /** Nothing under way that a restart must not lose: changed state may wait minutes to be saved (alerts/evaluation/rule.ts). */
  atRest(): boolean;
  /** `live`: a snapshot this process took a moment ago (reconfiguration); otherwise one from the store. */
  restore(state: unknown, from?: 'store' | 'live'): void;
  insights(): Record<string, number | string | boolean | null>;
}

/** Builds a device's evaluator from its effective settings (rule pack + site and device overrides). */
export type EvaluatorFactory = (target: RuleTarget) => Promise<DeviceEvaluator>;

/** The ingest events the engine listens to. */
export interface AlertSource {
  on(event: 'reading:stored', listener: (record: TelemetryRecord, siteId: SiteId) => void): unknown;
  on(event: 'finding:stored', listener: (finding: FindingRecord, siteId: SiteId) => void): unknown;
  on(event: 'device:presence', listener: (change: PresenceChange) => void): unknown;
  off(event: 'reading:stored' | 'finding:stored' | 'device:presence', listener: (...args: never[]) => void): unknown;
}

export interface AlertEngineOptions {
  source: AlertSource;
  registry: RegistryStore;
  ruleState: RuleStateStore;
  lifecycle: AlertLifecycle;
  createEvaluator: EvaluatorFactory;
  logger: Logger;
  /** Server clock, epoch ms. */
  clock: () => number;
  /** How often time-driven rules (no data, offline, pump-out overdue) and escalation are checked. 0: only by calling {@link AlertEngine.tick}. */
  tickMs: number;
  /** How often changed rule state is saved; also saved on close. 0: only on close and {@link AlertEngine.saveState}. */
  stateFlushMs: number;
  /**
   * How long changed state of a device whose rules are all at rest may wait to be
   * saved (default 5 min; a device's first wait is a fixed share of it, half to
   * all). At a city's 5,000 readings/s nearly every reading changes some state,
   * but little of it must survive a restart to the second (alerts/evaluation/rule.ts,
   * `atRest`); 0 saves every change at the next flush.
   */
  restingStateSaveMs?: number;
  /**
   * How often (on the engine's clock, checked on ticks) the registry is compared
   * with the devices watched: a device registered since is watched even if it never
   * sends anything (that silence is what `no_data` is for); a revoked one is dropped.
   */
  registrySyncMs?: number;
}

/** Devices read from the registry per page while syncing; a page is one short query. */
const SYNC_PAGE = 1_000;
/**
 * Evaluators built between two yields to the event loop while syncing: building
 * one (its rules, its saved state) takes some 30-50 µs, so a slice holds the loop
 * for about 10 ms.
 */
const SYNC_SLICE = 250;
/**
 * Devices whose time-driven rules are checked in one slice: about 1-2 ms of the
 * loop. A tick of 150,000 devices must not hold up ingest.
 */
const TICK_SLICE = 500;
/**
 * Devices whose rule state is saved in one transaction. A periodic flush saves
 * {@link PACED_STATE_SLICE} at a time, a slice of 1-3 ms (snapshot, JSON and
 * upsert: 30-60 µs a device); a save on close, with nothing else to serve,
 * {@link STATE_SLICE}. In one transaction 2,000 devices held the event loop (and
 * every PUBACK) for 60 ms.
 */
const STATE_SLICE = 250;
const PACED_STATE_SLICE = 50;
/** The share of the event loop that ticks and periodic state flushes take while they run (see LoopShare). */
const BACKGROUND_SHARE = 0.1;
/** See {@link AlertEngineOptions.restingStateSaveMs}. */
const DEFAULT_RESTING_SAVE_MS = 5 * 60_000;

/**
 * A device's fixed share, in [0.5, 1), of its first resting interval: a fleet
 * built at once (every start) would otherwise come due in the same few flushes,
 * every interval, a burst of 150,000 rows. From a hash of the id: the same every run.
 */
function restingShare(deviceId: DeviceId): number {
  return 0.5 + hashSeed(deviceId) / 2 ** 33;
}

interface Entry {
  readonly deviceId: DeviceId;
  evaluator: DeviceEvaluator;
  siteId: SiteId;
  /**
   * What of the state is not in the store: nothing; a change made at rest, to be
   * saved once `dueAt` (engine clock) has passed; or a change to save at the next flush.
   */
  unsaved: 'none' | 'resting' | 'prompt';
  dueAt: number;
  /**
   * How long this device's changes at rest wait: the first time, a fixed share
   * (half to all) of `restingStateSaveMs`, so that a fleet built at once does not
   * come due at once; from then on all of it (saves stay spread).
   */
  restingMs: number;
  /**
   * The state in the store is at rest (or there is none, which restores as a
   * new device's). Leaving rest is saved promptly, and so is returning to it.
   */
  savedAtRest: boolean;
}

/**
 * Evaluates every stored reading against its device's rules, in memory, as ingest
 * reports it, and hands verdict changes to the lifecycle. Rule state (pending
 * excursions, danger-zone clocks, detector statistics) is saved periodically and
 * on shutdown and restored at start, so an excursion in progress when the process
 * restarts alarms at the time it would have. A device whose rules are at rest
 * (nothing under way) has its changes saved lazily, every few minutes.
 */
export class AlertEngine {
  private readonly entries = new Map<DeviceId, Entry>();
  /** Devices whose evaluator is being built; events for them wait in order behind it. */
  private readonly building = new Map<DeviceId, Promise<Entry | undefined>>();
  /** State of devices being rebuilt after a reconfiguration, until the rebuild takes it. */
  private readonly kept = new Map<DeviceId, unknown>();
  private readonly timers: NodeJS.Timeout[] = [];
  private ticking: Promise<void> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();
  private started = false;
  private closing = false;
  private syncing: Promise<void> | undefined;
  /** Devices reconfigured while a sync runs (see sync). */
  private changedDuringSync: Set<DeviceId> | undefined;
  private lastSync = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: AlertEngineOptions) {}

  /**
   * Starts listening to ingest. A device's evaluator is built, with its saved
   * state, when it first reports (events wait in order behind it, see withEntry)
   * or when {@link watchFleet} reaches it, whichever comes first.
   */
  async start(): Promise<void> {
    const { source, lifecycle } = this.options;
    await lifecycle.start();
    source.on('reading:stored', this.onReading);
    source.on('device:presence', this.onPresence);
    source.on('finding:stored', this.onFinding);
    this.started = true;
    if (this.options.tickMs > 0) this.every(this.options.tickMs, () => this.tick());
    if (this.options.stateFlushMs > 0) this.every(this.options.stateFlushMs, () => this.flushState());
  }

  /**
   * Builds an evaluator for every active device (so silence is noticed too) in the
   * background, page by page and in slices that let the event loop breathe: with
   * a city's 150,000 devices that takes seconds. The server calls this once it
   * accepts devices, so start-up does not wait for it; without the call, the
   * first tick starts it.
   */
  watchFleet(): void {
    const began = performance.now();
    this.syncRegistry().then(
      () => this.options.logger.info({ devices: this.entries.size, ms: Math.round(performance.now() - began) }, 'alert rules built for every device'),
      (error: unknown) => this.options.logger.error({ err: error }, 'could not build the rules of every device; the next tick tries again'),
    );
  }

  /** Checks time-driven rules and escalations now (the timer calls this; tests call it with a controlled clock). */
  tick(): Promise<void> {
    this.ticking = this.ticking.then(async () => {
      const now = this.options.clock();
      if (now - this.lastSync >= (this.options.registrySyncMs ?? 60_000)) await this.syncRegistry();
      let checked = 0;
      const pacer = new LoopShare(BACKGROUND_SHARE);
      // The live iterator, yielding only after an entry is done: what it hands out next is
      // current (a device added meanwhile is checked, a dropped one skipped, a rebuilt one new).
      // Over values, not [id, entry] pairs: a tick visits the whole fleet every few seconds, and a pair is an allocation.
      for (const entry of this.entries.values()) {
        const conditions = entry.evaluator.tick(now);
        if (conditions.length > 0) this.apply(entry.deviceId, entry, conditions);
        // Otherwise a tick changes nothing worth saving (marking every device here made each flush
        // rewrite the whole fleet's state) unless it took the device out of rest: a silence or an
        // open door under way must survive a restart.
        else if (entry.savedAtRest && entry.unsaved !== 'prompt' && !entry.evaluator.atRest()) entry.unsaved = 'prompt';
        if (++checked % TICK_SLICE === 0) await pacer.pause();
      }
      await this.options.lifecycle.sweep();
    });
    return this.ticking;
  }

  /** Facts a device's rules know (e.g. the oil separator's forecast), or undefined for a device the engine does not watch. */
  insights(deviceId: DeviceId): Record<string, number | string | boolean | null> | undefined {
    return this.entries.get(deviceId)?.evaluator.insights();
  }

  /**
   * Rebuilds the evaluators of these devices (after their settings, site or
   * revocation changed), carrying their state over. A revoked device or one whose
   * site is inactive is no longer watched.
   */
  async reconfigure(deviceIds: readonly DeviceId[]): Promise<void> {
    for (const id of deviceIds) {
      // A sync under way holds an older view of this device: it must leave it to us.
      this.changedDuringSync?.add(id);
      const old = this.entries.get(id);
      if (old) this.kept.set(id, old.evaluator.snapshot());
      this.entries.delete(id);
      const device = await this.options.registry.getDevice(id);
      const site = device && (await this.options.registry.getSite(device.siteId));
      if (device && site && device.revokedAt === null && site.active) await this.build({ device, site });
    }
  }

  /** Watches every active device of an active site the registry has, and only those; one sync at a time. */
  private syncRegistry(): Promise<void> {
    this.syncing ??= this.sync().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /**
   * The sync yields to the event loop, so events interleave with it: a device
   * built on demand or reconfigured meanwhile is newer than the sync's list, and
   * the sync neither rebuilds nor drops it.
   */
  private async sync(): Promise<void> {
    const { registry } = this.options;
    this.lastSync = this.options.clock();
    const changed = (this.changedDuringSync = new Set<DeviceId>());
    const before = new Set(this.entries.keys());
    try {
      // Sites as the devices name them: a city has tens of thousands, and listing them all held the loop.
      const sites = new Map<SiteId, Site | undefined>();
      const siteOf = async (id: SiteId) => {
        if (!sites.has(id)) sites.set(id, await registry.getSite(id));
        return sites.get(id);
      };
      const watched = new Set<DeviceId>();
      let built = 0;
      let after: DeviceId | undefined;
      for (;;) {
        // Page by page: listing 150,000 devices in one query held the loop for half a second, every minute.
        const page = await registry.listDevices({ ...(after === undefined ? {} : { after }), limit: SYNC_PAGE });
        for (const device of page) {
          if (this.closing) return;
          const site = await siteOf(device.siteId);
          if (device.revokedAt !== null || !site?.active) continue;
          watched.add(device.id);
          if (this.entries.has(device.id) || this.building.has(device.id) || changed.has(device.id)) continue;
          await this.build({ device, site });
          // Building is synchronous work: yield now and then, or 150,000 devices would hold the loop for seconds.
          if (++built % SYNC_SLICE === 0) await yieldToEventLoop();
        }
        if (page.length < SYNC_PAGE) break;
        after = page[page.length - 1]!.id;
        await yieldToEventLoop();
      }
      for (const id of before) if (!watched.has(id) && !changed.has(id)) this.entries.delete(id);
    } finally {
      this.changedDuringSync = undefined;
    }
  }

  /**
   * Saves the state of every device that changed since the last save, at rest or
   * not (on close, and for tests). See {@link flushState}.
   */
  saveState(): Promise<void> {
    this.saving = this.saving.then(() => this.saveChanged(true));
    return this.saving;
  }

  /**
   * Saves what must not wait (changes out of rest or back to it, verdicts) and
   * changes at rest that have waited `restingStateSaveMs`, in slices of
   * {@link PACED_STATE_SLICE} devices (a transaction each), paced to take
   * {@link BACKGROUND_SHARE} of the event loop, with ingest running in between.
   * Saves never overlap: a call waits for the one under way.
   */
  flushState(): Promise<void> {
    this.saving = this.saving.then(() => this.saveChanged(false));
    return this.saving;
  }

  private async saveChanged(all: boolean): Promise<void> {
    const now = this.options.clock();
    const changed: DeviceId[] = [];
    for (const entry of this.entries.values()) {
      if (entry.unsaved === 'prompt' || (entry.unsaved === 'resting' && (all || entry.dueAt <= now))) changed.push(entry.deviceId);
    }
    // On close (all), nothing else waits for the loop: big slices, back to back.
    const slice = all ? STATE_SLICE : PACED_STATE_SLICE;
    const pacer = new LoopShare(all ? 1 : BACKGROUND_SHARE);
    for (let from = 0; from < changed.length; from += slice) {
      if (from > 0) await pacer.pause();
      // The snapshot is taken now, so a slice saves what its devices hold when it is written.
      const states: { deviceId: DeviceId; state: unknown }[] = [];
      for (const deviceId of changed.slice(from, from + slice)) {
        const entry = this.entries.get(deviceId);
        if (entry === undefined || entry.unsaved === 'none') continue;
        // Its first wait at rest is over: from now on the whole interval, and the fleet stays spread.
        if (entry.unsaved === 'resting' && entry.dueAt <= now) entry.restingMs = this.options.restingStateSaveMs ?? DEFAULT_RESTING_SAVE_MS;
        entry.unsaved = 'none';
        entry.savedAtRest = entry.evaluator.atRest();
        states.push({ deviceId, state: entry.evaluator.snapshot() });
      }
      try {
        await this.options.ruleState.saveStates(states, this.options.clock());
      } catch (error) {
        for (const { deviceId } of states) {
          const entry = this.entries.get(deviceId);
          // What the store holds is now unknown: save at the next flush, whatever changes.
          if (entry === undefined) continue;
          entry.unsaved = 'prompt';
          entry.savedAtRest = false;
        }
        this.options.logger.error({ err: error, devices: changed.length - from }, 'could not save rule state; will retry');
        return;
      }
    }
  }

  /** Stops listening, waits for changes under way, saves rule state. */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.syncing?.catch(() => undefined);
    if (this.started) {
      const { source } = this.options;
      source.off('reading:stored', this.onReading);
      source.off('device:presence', this.onPresence);
      source.off('finding:stored', this.onFinding);
    }
    await Promise.allSettled([...this.building.values()]);
    await this.ticking;
    await this.options.lifecycle.drain();
    await this.saveState();
  }

  private readonly onReading = (record: TelemetryRecord, siteId: SiteId): void => {
    this.withEntry(record.deviceId, siteId, (entry) => entry.evaluator.reading(record));
  };

  private readonly onPresence = (change: PresenceChange): void => {
    this.withEntry(change.deviceId, change.siteId, (entry) => entry.evaluator.presence(change.online, change.at));
  };

  private readonly onFinding = (finding: FindingRecord, siteId: SiteId): void => {
    // Already logged by the lifecycle; a failed write must not become an unhandled rejection.
    this.options.lifecycle.raiseFinding(finding, siteId).catch(() => undefined);
  };

  /** Runs `evaluate` on the device's evaluator now, or once it is built, preserving the order of events. */
  private withEntry(deviceId: DeviceId, siteId: SiteId, evaluate: (entry: Entry) => Condition[]): void {
    const entry = this.entries.get(deviceId);
    if (entry && !this.building.has(deviceId)) {
      this.apply(deviceId, entry, evaluate(entry));
      return;
    }
    const pending = this.building.get(deviceId) ?? this.buildById(deviceId, siteId);
    void pending.then((built) => built && this.apply(deviceId, built, evaluate(built)));
  }

  private apply(deviceId: DeviceId, entry: Entry, conditions: Condition[]): void {
    this.changed(entry, conditions.length > 0);
    for (const condition of conditions) {
      // Already logged by the lifecycle; a failed write must not become an unhandled rejection.
      this.options.lifecycle.applyCondition(deviceId, entry.siteId, condition).catch(() => undefined);
    }
  }

  /** Marks the entry's state as changed, to be saved promptly or, at rest, lazily. */
  private changed(entry: Entry, verdictChanged: boolean): void {
    if (entry.unsaved === 'prompt') return;
    if (verdictChanged || !entry.savedAtRest || !entry.evaluator.atRest()) {
      entry.unsaved = 'prompt';
    } else if (entry.unsaved === 'none') {
      entry.unsaved = 'resting';
      entry.dueAt = this.options.clock() + entry.restingMs;
    }
  }

  private buildById(deviceId: DeviceId, siteId: SiteId): Promise<Entry | undefined> {
    const work = (async () => {
      const device = await this.options.registry.getDevice(deviceId);
      const site = await this.options.registry.getSite(siteId);
      if (!device || !site || device.revokedAt !== null) return undefined;
      return this.build({ device, site });
    })().catch((error: unknown) => {
      this.options.logger.error({ err: error, deviceId }, 'could not build the rules of a device; its readings are not evaluated');
      return undefined;
    });
    this.building.set(deviceId, work);
    void work.finally(() => this.building.delete(deviceId));
    return work;
  }

  /**
   * Builds a device's evaluator with its state: the one kept when it was
   * reconfigured, else the one saved in the store. Only store calls happen in
   * between (no I/O wait), so no event for the device can run before it is in
   * `entries`.
   */
  private async build(target: RuleTarget): Promise<Entry> {
    const id = target.device.id;
    const evaluator = await this.options.createEvaluator(target);
    const reconfigured = this.kept.has(id);
    const state = reconfigured ? this.kept.get(id) : await this.options.ruleState.loadState(id);
    this.kept.delete(id);
    if (state !== undefined) evaluator.restore(state, reconfigured ? 'live' : 'store');
    // State kept across a reconfiguration may be newer than the store's: save it at the next flush.
    const entry: Entry = {
      deviceId: id,
      evaluator,
      siteId: target.site.id,
      unsaved: reconfigured ? 'prompt' : 'none',
      dueAt: 0,
      restingMs: (this.options.restingStateSaveMs ?? DEFAULT_RESTING_SAVE_MS) * restingShare(id),
      savedAtRest: !reconfigured && evaluator.atRest(),
    };
    this.entries.set(id, entry);
    // Presence as the registry knows it (at start: offline since the restart, until the device reconnects).
    const { device } = target;
    if (device.presenceChangedAt !== null) this.apply(device.id, entry, evaluator.presence(device.online, device.presenceChangedAt));
    return entry;
  }

  /**
   * Runs `run` every `ms`, skipping a turn while the previous run is still under
   * way: paced to a share of the loop, a tick or flush of a city's fleet on a slow
   * machine can outlast its interval, and queued runs would pile up without end.
   */
  private every(ms: number, run: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      run()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'alert engine timer failed'))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
