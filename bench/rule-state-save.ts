import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AlertEngine, type AlertEngineOptions } from '../alerts/engine.js';
import { createEvaluatorFactory } from '../alerts/evaluator-factory.js';
import type { Device, DeviceId, Site } from '../contracts/index.js';
import { createLogger } from '../observability/logger.js';
import type { TelemetryRecord } from '../store/index.js';
import { openSqliteParts } from '../store/sqlite/index.js';

/**
 * What saving rule state costs at a city's cadence: every fridge reports every
 * 30 s (150,000 of them make the city's 5,000 readings/s), the engine flushes
 * every 10 s and ticks every 5 s, on simulated time, with the real evaluators
 * (cn-catering, anomaly detector included) and the real SQLite rule-state store.
 * One fridge in a hundred warms to 13 °C from the first minute (critical after
 * 15 minutes), so excursions are raised and saved too. The load is per device,
 * so a smaller fleet gives the same per-reading figures in less time.
 *
 * Baseline in the same run: `restingStateSaveMs` 0, every change saved at the
 * next flush (how the engine saved before state at rest was saved lazily),
 * against the default 5 minutes. A flush's cost is the process's CPU (its
 * fdatasync waits on the thread pool); a tick's is its wall time (it does no I/O,
 * and the process's CPU would count the WAL checkpointer's thread too).
 * `npm run bench:rule-state`; SK_BENCH_DEVICES (default 20,000), SK_BENCH_MINUTES
 * (simulated, default 20) and
 * SK_BENCH_RESTING_MS (the variants, in order, default `0,300000`). One JSON
 * line per variant, then one comparing the last with the first.
 */
const DEVICES = Number(process.env.SK_BENCH_DEVICES ?? 20_000);
const MINUTES = Number(process.env.SK_BENCH_MINUTES ?? 20);
const INTERVAL_S = 30;
const FLUSH_MS = 10_000;
const TICK_MS = 5_000;
const WARM_EVERY = 100;
const T0 = Date.UTC(2026, 0, 5, 2);
const MINUTE = 60_000;

const site: Site = { id: 'site-1', name: 'bench', regionId: 'town', address: null, timezone: 'Asia/Shanghai', active: true };
const devices: Device[] = Array.from({ length: DEVICES }, (_, i) => ({
  id: `fridge-${String(i).padStart(6, '0')}`,
  siteId: site.id,
  kind: 'temperature',
  label: `fridge ${i}`,
  profile: 'chilled',
  expectedIntervalS: INTERVAL_S,
  createdAt: T0 - 86_400_000,
  revokedAt: null,
  online: true,
  presenceChangedAt: T0 - 86_400_000,
}));
const byId = new Map(devices.map((d) => [d.id, d]));

/** A thermostat's saw-tooth with noise; every hundredth fridge too warm from minute 1 to 41. */
function temperature(i: number, t: number): number {
  const minute = (t - T0) / MINUTE;
  if (i % WARM_EVERY === 0 && minute >= 1 && minute < 41) return 13 + Math.random() * 0.4;
  return 3.5 + 1.2 * Math.sin((t / MINUTE + i) / 6) + (Math.random() - 0.5) * 0.2;
}

interface Measured {
  readings: number;
  saves: number;
  flushCpuMs: number;
  longestFlushMs: number;
  mostRowsInAFlush: number;
  tickWallMs: number;
  evaluateCpuMs: number;
  conditions: number;
  avgStateBytes: number;
}

function cpuMs(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}

async function run(restingStateSaveMs: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'sk-rule-state-'));
  const parts = openSqliteParts({ file: join(dir, 'bench.sqlite'), synchronous: 'full' });
  const m: Measured = { readings: 0, saves: 0, flushCpuMs: 0, longestFlushMs: 0, mostRowsInAFlush: 0, tickWallMs: 0, evaluateCpuMs: 0, conditions: 0, avgStateBytes: 0 };
  try {
    const { ruleState } = parts.store;
    let now = T0;
    const source = new EventEmitter();
    const sorted = [...devices].sort((a, b) => (a.id < b.id ? -1 : 1));
    const logger = createLogger('silent');
    const engine = new AlertEngine({
      source,
      registry: {
        listDevices: async ({ after = '', limit = Infinity }: { after?: DeviceId; limit?: number } = {}) => sorted.filter((d) => d.id > after).slice(0, limit),
        getDevice: async (id: DeviceId) => byId.get(id),
        getSite: async () => site,
      },
      ruleState: {
        loadState: (id: DeviceId) => ruleState.loadState(id),
        saveStates: (states: ReadonlyArray<{ deviceId: DeviceId; state: unknown }>, at: number) => {
          m.saves += states.length;
          return ruleState.saveStates(states, at);
        },
      },
      lifecycle: {
        start: async () => undefined,
        drain: async () => undefined,
        sweep: async () => undefined,
        applyCondition: async () => void m.conditions++,
      },
      createEvaluator: createEvaluatorFactory({ packId: 'cn-catering', ruleState, logger }),
      logger,
      clock: () => now,
      tickMs: 0,
      stateFlushMs: 0,
      registrySyncMs: Number.MAX_SAFE_INTEGER,
      restingStateSaveMs,
    } as unknown as AlertEngineOptions);
    await engine.start();
    // The first tick builds every device; the first save writes every row, so both variants start alike.
    await engine.tick();
    await engine.saveState();
    m.saves = 0;
    m.conditions = 0;

    for (let second = 1; second <= MINUTES * 60; second++) {
      now = T0 + second * 1000;
      const began = process.cpuUsage();
      for (let i = second % INTERVAL_S; i < DEVICES; i += INTERVAL_S) {
        const record: TelemetryRecord = {
          deviceId: devices[i]!.id, kind: 'temperature', ts: now, seq: second, boot: 'b', receivedAt: now,
          values: { temperatureC: temperature(i, now), doorOpen: false, batteryPct: 80 },
        };
        source.emit('reading:stored', record, site.id);
        m.readings++;
      }
      m.evaluateCpuMs += cpuMs(began);
      if ((second * 1000) % TICK_MS === 0) {
        const tickBegan = performance.now();
        await engine.tick();
        m.tickWallMs += performance.now() - tickBegan;
      }
      if ((second * 1000) % FLUSH_MS === 0) {
        const flushBegan = process.cpuUsage();
        const wallBegan = performance.now();
        const savesBefore = m.saves;
        await engine.flushState();
        m.mostRowsInAFlush = Math.max(m.mostRowsInAFlush, m.saves - savesBefore);
        m.longestFlushMs = Math.max(m.longestFlushMs, performance.now() - wallBegan);
        m.flushCpuMs += cpuMs(flushBegan);
      }
    }
    await engine.close();
    const row = parts.db.prepare('SELECT avg(length(state)) AS bytes FROM rule_state').get() as { bytes: number };
    m.avgStateBytes = Math.round(row.bytes);
    return m;
  } finally {
    await parts.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const VARIANTS = (process.env.SK_BENCH_RESTING_MS ?? `0,${5 * MINUTE}`).split(',').map(Number);
const results: Measured[] = [];
for (const restingStateSaveMs of VARIANTS) {
  const variant = restingStateSaveMs === 0 ? 'every change at the next flush' : `at rest every ${restingStateSaveMs / MINUTE} min`;
  const m = await run(restingStateSaveMs);
  results.push(m);
  const perReading = (ms: number) => Math.round((ms * 1000 * 1000) / m.readings) / 1000;
  console.log(
    JSON.stringify({
      bench: 'rule-state-save', variant, restingStateSaveMs, devices: DEVICES, simulatedMinutes: MINUTES, readings: m.readings,
      savesPerReading: Math.round((m.saves / m.readings) * 1000) / 1000,
      flushCpuUsPerReading: perReading(m.flushCpuMs), evaluateCpuUsPerReading: perReading(m.evaluateCpuMs), tickWallUsPerReading: perReading(m.tickWallMs),
      longestFlushMs: Math.round(m.longestFlushMs), mostRowsInAFlush: m.mostRowsInAFlush, avgStateBytes: m.avgStateBytes,
      // At the city's rate: what the saves cost per second of real time.
      cityCoreSharePct: Math.round((m.flushCpuMs / m.readings) * 5_000) / 10,
      cityStateMBPerS: Math.round(((m.saves / m.readings) * 5_000 * m.avgStateBytes) / 10_000) / 100,
      conditions: m.conditions, node: process.version,
    }),
  );
}
const first = results[0]!;
const last = results[results.length - 1]!;
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
console.log(
  JSON.stringify({
    bench: 'rule-state-save', compare: `${VARIANTS[VARIANTS.length - 1]} / ${VARIANTS[0]}`,
    saves: ratio(last.saves, first.saves), flushCpu: ratio(last.flushCpuMs, first.flushCpuMs),
    conditionsEqual: last.conditions === first.conditions,
  }),
);
