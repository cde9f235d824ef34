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

/** An evaluator that counts the readings it saw, so a rebuilt one (its state lost) shows. */
function countingEvaluator(): DeviceEvaluator {
  let readings = 0;
  return {
    reading: () => (readings++, []),
    presence: () => [],
    tick: () => [],
    snapshot: () => ({ readings }),
    restore: () => undefined,
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
function engineOver(listed: Device[], extra: Device[] = [], saveStates: (states: Array<{ deviceId: string }>) => void = () => undefined) {
  const source = new EventEmitter();
  const engine = new AlertEngine({
    source,
    registry: {
      listSites: async () => [site],
      listDevices: async () => listed,
      getDevice: async (id: string) => [...listed, ...extra].find((d) => d.id === id),
      getSite: async () => site,
    },
    ruleState: { loadStates: async () => new Map(), saveStates: async (states: Array<{ deviceId: string }>) => saveStates(states) },
    lifecycle: { start: async () => undefined, drain: async () => undefined, sweep: async () => undefined, applyCondition: async () => undefined },
    createEvaluator: async () => countingEvaluator(),
    logger: createLogger('silent'),
    clock: () => NOW,
    tickMs: 0,
    stateFlushMs: 0,
  } as unknown as AlertEngineOptions);
  return { source, engine };
}

describe('alert engine start-up sync', () => {
  it('builds every registered device in the background and keeps a device that reported meanwhile, with its state', async () => {
    // More devices than one slice, so the sync yields to the event loop part way.
    const listed = Array.from({ length: 2_500 }, (_, i) => device(`fridge-${i}`));
    const late = device('registered-after-the-list');
    const { source, engine } = engineOver(listed, [late]);

    await engine.start();
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

describe('alert engine state flush', () => {
  it('saves the state of devices that had events since the last flush, not the whole fleet after every tick', async () => {
    const devices = Array.from({ length: 50 }, (_, i) => device(`fridge-${i}`));
    const saved: string[][] = [];
    const { source, engine } = engineOver(devices, [], (states) => saved.push(states.map((s) => s.deviceId)));
    await engine.start();
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
