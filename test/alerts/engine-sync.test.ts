import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Device, Site } from '../../contracts/index.js';
import { AlertEngine, type AlertEngineOptions, type DeviceEvaluator } from '../../alerts/engine.js';
import { createLogger } from '../../observability/logger.js';
import type { TelemetryRecord } from '../../store/index.js';

const NOW = Date.UTC(2026, 0, 1);
const site: Site = { id: 'site-1', name: 'site', regionId: 'town', address: null, timezone: 'Asia/Shanghai', active: true };
const device = (id: string): Device => ({
  id,
  siteId: site.id,
  kind: 'temperature',
  label: id,
  profile: 'chilled',
  expectedIntervalS: 30,
  createdAt: NOW,
  revokedAt: null,
  online: false,
  presenceChangedAt: null,
});

/** Where each device's evaluator last restored its state from ('store' or 'live'). */
const restoredFrom = new Map<string, string | undefined>();

/**
 * An evaluator that counts the readings it saw (and restores the count), so a
 * rebuilt one (its state lost) shows. It is at rest unless its device is in `restless`.
 */
/** Devices whose evaluator has taken a reading (built, then applied it). */
const applied = new Set<string>();

function countingEvaluator(deviceId: string, restless: ReadonlySet<string>): DeviceEvaluator {
  let readings = 0;
  return {
    reading: () => (readings++, applied.add(deviceId), []),
    presence: () => [],
    tick: () => [],
    snapshot: () => ({ readings }),
    atRest: () => !restless.has(deviceId),
    restore: (state, from) => {
      readings = (state as { readings: number }).readings;
      restoredFrom.set(deviceId, from);
    },
    insights: () => ({ readings }),
  };
}

const reading = (deviceId: string): TelemetryRecord => ({ deviceId, kind: 'temperature', ts: NOW, seq: 1, boot: 'b', receivedAt: NOW, values: { temperatureC: 4 } });
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/**
 * An engine over a registry that lists `listed` (and can also find `extra`), with
 * counting evaluators and no timers; `saveStates` receives what each flush writes.
 */
function engineOver(
  listed: Device[],
  extra: Device[] = [],
  saveStates: (states: Array<{ deviceId: string }>) => void = () => undefined,
  stored: Map<string, unknown> = new Map(),
  tune: { clock?: () => number; restless?: ReadonlySet<string>; restingStateSaveMs?: number; tickMs?: number; sweep?: () => Promise<void> } = {},
) {
  const restless = tune.restless ?? new Set<string>();
  const source = new EventEmitter();
  const pages: Array<{ after?: string; limit?: number }> = [];
  const engine = new AlertEngine({
    source,
    registry: {
      listSites: async () => [site],
      // In id order and paged, like the store.
      listDevices: async (filter: { after?: string; limit?: number } = {}) => {
        pages.push(filter);
        const { after = '', limit = Infinity } = filter;
        return [...listed].sort((a, b) => (a.id < b.id ? -1 : 1)).filter((d) => d.id > after).slice(0, limit);
      },
      getDevice: async (id: string) => [...listed, ...extra].find((d) => d.id === id),
      getSite: async () => site,
    },
    ruleState: { loadState: async (id: string) => stored.get(id), saveStates: async (states: Array<{ deviceId: string }>) => saveStates(states) },
    lifecycle: { start: async () => undefined, drain: async () => undefined, sweep: tune.sweep ?? (async () => undefined), applyCondition: async () => undefined },
    createEvaluator: async (target: { device: Device }) => countingEvaluator(target.device.id, restless),
    logger: createLogger('silent'),
    clock: tune.clock ?? (() => NOW),
    tickMs: tune.tickMs ?? 0,
    stateFlushMs: 0,
    ...(tune.restingStateSaveMs === undefined ? {} : { restingStateSaveMs: tune.restingStateSaveMs }),
  } as unknown as AlertEngineOptions);
  return { source, engine, pages };
}

describe('alert engine start-up sync', () => {
  it('builds every registered device in the background and keeps a device that reported meanwhile, with its state', async () => {
    // More devices than one slice, so the sync yields to the event loop part way.
    const listed = Array.from({ length: 2_500 }, (_, i) => device(`fridge-${i}`));
    const late = device('registered-after-the-list');
    const { source, engine } = engineOver(listed, [late]);

    await engine.start();
    engine.watchFleet();
    // The sync has not finished: a device it did not list reports and gets its rules on the spot.
    expect(engine.insights('fridge-2499')).toBeUndefined();
    source.emit('reading:stored', reading(late.id), site.id);
    await turns(20);

    expect(engine.insights('fridge-0')).toEqual({ readings: 0 });
    expect(engine.insights('fridge-2499')).toEqual({ readings: 0 });
    // Not dropped as "not in the registry" by the older list, and not rebuilt: it still remembers its reading.
    expect(engine.insights(late.id)).toEqual({ readings: 1 });
    await engine.close();
  });
});

describe('alert engine fleet watch', () => {
  it('builds nothing until it is asked to watch the fleet (the server asks once it accepts devices); a device that reports is built on the spot', async () => {
    const { source, engine, pages } = engineOver([device('fridge-1'), device('fridge-2')]);
    await engine.start();
    await turns(5);
    expect(pages).toEqual([]);
    expect(engine.insights('fridge-1')).toBeUndefined();

    source.emit('reading:stored', reading('fridge-2'), site.id);
    await turns(2);
    expect(engine.insights('fridge-2')).toEqual({ readings: 1 });
    engine.watchFleet();
    await turns(5);
    expect(engine.insights('fridge-1')).toEqual({ readings: 0 });
    expect(engine.insights('fridge-2')).toEqual({ readings: 1 });
    await engine.close();
  });

  it('reads the registry a page at a time and gives each device the state saved in the store, whether the sync or a reading builds it', async () => {
    const listed = Array.from({ length: 2_300 }, (_, i) => device(`fridge-${String(i).padStart(4, '0')}`));
    const stored = new Map<string, unknown>([
      ['fridge-0003', { readings: 5 }],
      ['fridge-2299', { readings: 7 }],
    ]);
    const { source, engine, pages } = engineOver(listed, [], undefined, stored);
    await engine.start();
    // Before the sync reaches it: built for its reading, with its saved count.
    source.emit('reading:stored', reading('fridge-2299'), site.id);
    await turns(1);
    engine.watchFleet();
    await turns(40);

    // Each page starts after the last id of the one before, and the pages cover the registry once.
    const limit = pages[0]!.limit!;
    expect(limit).toBeLessThan(listed.length);
    const starts = Array.from({ length: Math.floor(listed.length / limit) + 1 }, (_, i) => (i === 0 ? undefined : listed[i * limit - 1]!.id));
    expect(pages).toEqual(starts.map((after) => (after === undefined ? { limit } : { after, limit })));
    expect(engine.insights('fridge-0003')).toEqual({ readings: 5 });
    expect(engine.insights('fridge-2299')).toEqual({ readings: 8 });
    expect(engine.insights('fridge-1500')).toEqual({ readings: 0 });
    await engine.close();
  });
});

describe('alert engine state flush', () => {
  it('saves the state of devices that had events since the last flush, not the whole fleet after every tick', async () => {
    const devices = Array.from({ length: 50 }, (_, i) => device(`fridge-${i}`));
    const saved: string[][] = [];
    const { source, engine } = engineOver(devices, [], (states) => saved.push(states.map((s) => s.deviceId)));
    await engine.start();
    engine.watchFleet();
    await turns(20);
    await engine.saveState();
    saved.length = 0;

    source.emit('reading:stored', reading('fridge-7'), site.id);
    await engine.tick();
    await engine.saveState();
    expect(saved).toEqual([['fridge-7']]);
    await engine.close();
  });

  it('saves a large flush in slices with ingest running between them, and a reading made meanwhile is in what is saved', async () => {
    const devices = Array.from({ length: 600 }, (_, i) => device(`fridge-${i}`));
    const saved: Array<{ deviceId: string; state: unknown }[]> = [];
    const { source, engine } = engineOver(devices, [], (states) => saved.push(states as { deviceId: string; state: unknown }[]));
    await engine.start();
    engine.watchFleet();
    await turns(20);
    for (const d of devices) source.emit('reading:stored', reading(d.id), site.id);

    const flushing = engine.saveState();
    // A reading that arrives while the flush runs: its device's slice is not written yet, so the save holds it.
    setImmediate(() => source.emit('reading:stored', reading('fridge-599'), site.id));
    await flushing;

    expect(saved.length).toBeGreaterThan(1);
    expect(saved.flat().map((s) => s.deviceId).sort()).toEqual(devices.map((d) => d.id).sort());
    expect(saved.flat().find((s) => s.deviceId === 'fridge-599')!.state).toEqual({ readings: 2 });
    // Nothing is left to save: the next flush writes nothing.
    saved.length = 0;
    await engine.saveState();
    expect(saved).toEqual([]);
    await engine.close();
  });
});

describe('alert engine: state at rest is saved lazily', () => {
  const MINUTE = 60_000;
  async function fleet(ids: string[]) {
    let now = NOW;
    const restless = new Set<string>();
    const saved: string[][] = [];
    const { source, engine } = engineOver(
      ids.map(device),
      [],
      (states) => saved.push(states.map((s) => s.deviceId)),
      new Map(),
      { clock: () => now, restless, restingStateSaveMs: 5 * MINUTE },
    );
    await engine.start();
    engine.watchFleet();
    await turns(10);
    const flushed = async () => {
      saved.length = 0;
      await engine.flushState();
      return saved.flat().sort();
    };
    return { source, engine, restless, saved, flushed, advance: (ms: number) => (now += ms) };
  }

  it('waits between half and all of the resting interval to save readings that leave every rule at rest, spread over the fleet, and saves them all on close', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `fridge-${i}`);
    const f = await fleet(ids);
    for (const id of ids) f.source.emit('reading:stored', reading(id), site.id);
    // Flushes every 10 s for the whole interval: when is each device saved?
    const savedAt = new Map<string, number>();
    for (let at = 10_000; at <= 5 * MINUTE; at += 10_000) {
      f.advance(10_000);
      for (const id of await f.flushed()) savedAt.set(id, at);
    }
    expect([...savedAt.keys()].sort()).toEqual([...ids].sort());
    const times = [...savedAt.values()];
    expect(Math.min(...times)).toBeGreaterThanOrEqual(2.5 * MINUTE);
    // Not one burst: a fleet built at once must not come due at once.
    expect(new Set(times).size).toBeGreaterThan(5);
    expect(await f.flushed()).toEqual([]);

    f.source.emit('reading:stored', reading('fridge-1'), site.id);
    f.saved.length = 0;
    await f.engine.close();
    expect(f.saved.flat()).toEqual(['fridge-1']);
  });

  it('saves at the next flush a device leaving rest, and again when it returns to rest', async () => {
    const f = await fleet(['fridge-1', 'fridge-2']);
    f.restless.add('fridge-1');
    f.source.emit('reading:stored', reading('fridge-1'), site.id);
    f.source.emit('reading:stored', reading('fridge-2'), site.id);
    expect(await f.flushed()).toEqual(['fridge-1']);
    // Every change while under way is saved promptly.
    f.source.emit('reading:stored', reading('fridge-1'), site.id);
    expect(await f.flushed()).toEqual(['fridge-1']);
    // Back at rest: the store still holds the state under way, so this too is saved at once.
    f.restless.delete('fridge-1');
    f.source.emit('reading:stored', reading('fridge-1'), site.id);
    expect(await f.flushed()).toEqual(['fridge-1']);
    f.source.emit('reading:stored', reading('fridge-1'), site.id);
    expect(await f.flushed()).toEqual([]);
    await f.engine.close();
  });

  it('saves at the next flush a device that a tick took out of rest (a silence or an open door under way)', async () => {
    const f = await fleet(['fridge-1', 'fridge-2']);
    await f.engine.tick();
    expect(await f.flushed()).toEqual([]);
    f.restless.add('fridge-2');
    await f.engine.tick();
    expect(await f.flushed()).toEqual(['fridge-2']);
    await f.engine.tick();
    expect(await f.flushed()).toEqual([]);
    await f.engine.close();
  });
});

describe('alert engine: saves paced against ingest', () => {
  it('saves a periodic flush in small transactions with the loop given back between them, and everything at once on close', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `fridge-${String(i).padStart(3, '0')}`);
    const restless = new Set(ids);
    const slices: number[] = [];
    let between = 0;
    let watching = false;
    const { source, engine } = engineOver(ids.map(device), [], (states) => {
      slices.push(states.length);
      // Something else ran on the loop since the previous slice of this save: ingest would have too.
      if (watching && slices.length > 1) expect(between).toBeGreaterThan(0);
      between = 0;
    }, new Map(), { restless });
    await engine.start();
    applied.clear();
    for (const id of ids) source.emit('reading:stored', reading(id), site.id);
    // Each device's rules are built on its first reading, a few store calls each, paced by time: wait for all of them.
    for (let i = 0; i < 10_000 && applied.size < ids.length; i++) await turns(1);
    expect(applied.size).toBe(ids.length);
    // Other work on the loop, one step a turn.
    let running = true;
    const step = () => {
      between++;
      if (running) setImmediate(step);
    };
    setImmediate(step);
    watching = true;
    await engine.flushState();
    watching = false;
    running = false;
    expect(slices).toEqual([50, 50, 20]);

    slices.length = 0;
    for (const id of ids) source.emit('reading:stored', reading(id), site.id);
    await engine.close();
    expect(slices).toEqual([120]);
  });
});

describe('alert engine timers', () => {
  it('does not queue a tick behind one that outlasts its interval', async () => {
    let sweeps = 0;
    let hold = true;
    let release: () => void = () => undefined;
    // Each tick ends in the lifecycle's sweep; this one holds the first tick until released.
    const sweep = () => {
      sweeps++;
      return hold ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
    };
    const { engine } = engineOver([device('fridge-1')], [], () => undefined, new Map(), { tickMs: 5, sweep });
    await engine.start();
    // About twenty intervals pass while the first tick is still under way.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sweeps).toBe(1);
    hold = false;
    release();
    // close() stops the timer and waits for the ticks under way: queued ones would all run now.
    await engine.close();
    expect(sweeps).toBeLessThanOrEqual(2);
  });
});

describe('alert engine reconfiguration', () => {
  it('carries the state over as live (not as a possibly stale save) and saves it at the next flush', async () => {
    const saved: string[][] = [];
    const stored = new Map<string, unknown>([['fridge-1', { readings: 3 }]]);
    const { source, engine } = engineOver([device('fridge-1')], [], (states) => saved.push(states.map((s) => s.deviceId)), stored);
    await engine.start();
    source.emit('reading:stored', reading('fridge-1'), site.id);
    await turns(2);
    expect(engine.insights('fridge-1')).toEqual({ readings: 4 });
    expect(restoredFrom.get('fridge-1')).toBe('store');
    await engine.saveState();
    saved.length = 0;

    await engine.reconfigure(['fridge-1']);
    expect(engine.insights('fridge-1')).toEqual({ readings: 4 });
    expect(restoredFrom.get('fridge-1')).toBe('live');
    await engine.flushState();
    expect(saved).toEqual([['fridge-1']]);
    await engine.close();
  });
});
