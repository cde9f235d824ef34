import { tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TelemetryRecord } from '../../store/index.js';
import { openSqliteParts, type FoldReport, type SqliteParts, type SqliteStoreOptions } from '../../store/sqlite/index.js';
import { newDevice, seedTree, T0 } from './store-contract.js';

const DEVICES = 40;
const SEC = 1_000;

const reading = (device: number, i: number, temperatureC = 4): TelemetryRecord => ({
  deviceId: `fridge-${device}`,
  kind: 'temperature',
  ts: T0 + i * SEC,
  seq: i,
  boot: 'b1',
  receivedAt: T0 + i * SEC,
  values: { temperatureC },
});

/** Ten readings from each device, in commits of one reading per device, as a fleet sends them. */
const fleetReadings = (rounds = 10) => Array.from({ length: rounds }, (_, i) => Array.from({ length: DEVICES }, (_, d) => reading(d, i, d + i / 10)));

describe('SQLite staged readings', () => {
  let dir: string;
  let file: string;
  let parts: SqliteParts | undefined;
  const folds: FoldReport[] = [];

  const open = async (staging: SqliteStoreOptions['staging'] = {}, fresh = true) => {
    parts = openSqliteParts({ file, synchronous: 'full', staging: { foldEveryMs: 3_600_000, onFold: (f) => folds.push(f), ...staging } });
    if (fresh) {
      await seedTree(parts.store.registry);
      for (let d = 0; d < DEVICES; d++) await parts.store.registry.createDevice(newDevice(`fridge-${d}`, 'site-ft'), 'pw', T0);
    }
    return parts;
  };
  const reopen = async () => {
    await parts!.store.close();
    return open({}, false);
  };
  const write = (p: SqliteParts, readings: TelemetryRecord[]) => p.store.ingestSink.writeBatch([{ readings, findings: [], quarantine: [] }]);
  /** Rows in the telemetry table and in its staged log, read with SQL. */
  const rows = (p: SqliteParts) => ({
    table: (p.db.prepare('SELECT count(*) AS n FROM telemetry_temperature').get() as { n: number }).n,
    log: (p.db.prepare('SELECT count(*) AS n FROM telemetry_temperature_staged').get() as { n: number }).n,
  });
  const historyCount = async (p: SqliteParts, device: number) =>
    (await p.store.telemetry.history({ deviceId: `fridge-${device}`, kind: 'temperature', field: 'temperatureC', from: T0, to: T0 + 3_600 * SEC, maxPoints: 1_000 })).points.reduce(
      (n, point) => n + point.count,
      0,
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sk-staged-'));
    file = join(dir, 'store.db');
    folds.length = 0;
  });
  afterEach(async () => {
    await parts?.store.close();
    parts = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps an acknowledged reading in the log until a fold, and shows it to every reader at once', async () => {
    const p = await open();
    for (const commit of fleetReadings()) expect((await write(p, commit))[0]!.readingsInserted.every(Boolean)).toBe(true);
    // Acknowledged, durable, and not yet in the indexed table.
    expect(rows(p)).toEqual({ table: 0, log: DEVICES * 10 });
    expect(p.staged.pending).toBe(DEVICES * 10);
    // A reader folds what it reads: this device's history, the latest values, the count.
    expect(await historyCount(p, 3)).toBe(10);
    expect(rows(p).table).toBe(10);
    const latest = await p.store.telemetry.latest([{ id: 'fridge-7', kind: 'temperature' }]);
    expect(latest).toMatchObject([{ deviceId: 'fridge-7', seq: 9, values: { temperatureC: 7.9 } }]);
    expect(await p.store.telemetry.count()).toBe(DEVICES * 10);
    expect(rows(p).table).toBe(DEVICES * 10);
  });

  it('folds in slices that let the event loop run, in device order, and then empties the log', async () => {
    const p = await open({ sliceMs: 0, dropPerStatement: 50 });
    for (const commit of fleetReadings()) await write(p, commit);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    await p.staged.folded();
    clearInterval(ticker);
    // One device per slice at sliceMs 0, then the drops of 50 rows each.
    expect(folds).toEqual([expect.objectContaining({ readings: DEVICES * 10, devices: DEVICES, slices: DEVICES + (DEVICES * 10) / 50 })]);
    expect(turns).toBeGreaterThan(0);
    expect(rows(p)).toEqual({ table: DEVICES * 10, log: 0 });
    expect(p.staged.pending).toBe(0);
    // In the table each device's readings are together: the fold inserted them device by device, in time order.
    const order = p.db.prepare('SELECT device_key AS k, seq FROM telemetry_temperature ORDER BY rowid').all() as { k: number; seq: number }[];
    const runs = order.filter((r, i) => i === 0 || r.k !== order[i - 1]!.k).length;
    expect(runs).toBe(DEVICES);
    expect(order.slice(0, 10).map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a fold leaves readings staged after it started for the next one', async () => {
    const p = await open({ sliceMs: 0 });
    await write(p, fleetReadings(1)[0]!);
    p.staged.startFold();
    // Staged while the fold runs: past its end, so kept in the log for the next fold.
    await write(p, [reading(0, 100), reading(1, 100)]);
    await vi.waitFor(() => expect(folds).toHaveLength(1));
    expect(folds[0]!.readings).toBe(DEVICES);
    expect(rows(p)).toEqual({ table: DEVICES, log: 2 });
    await p.staged.folded();
    expect(rows(p)).toEqual({ table: DEVICES + 2, log: 0 });
  });

  it('recognises a resend while it is staged, once folded, and staged before a restart', async () => {
    let p = await open();
    const r = reading(1, 1);
    expect((await write(p, [r, r]))[0]!.readingsInserted).toEqual([true, false]);
    expect((await write(p, [r]))[0]!.readingsInserted).toEqual([false]);
    await p.staged.folded();
    expect((await write(p, [r]))[0]!.readingsInserted).toEqual([false]);
    // Same device, time, seq and boot with another temperature is another reading, as in the index.
    expect((await write(p, [{ ...r, values: { temperatureC: 5 } }]))[0]!.readingsInserted).toEqual([true]);
    const later = reading(1, 2);
    await write(p, [later]);
    p = await reopen();
    expect(p.staged.pending).toBe(2);
    expect((await write(p, [later, r]))[0]!.readingsInserted).toEqual([false, false]);
    expect(await p.store.telemetry.count('fridge-1')).toBe(3);
  });

  it('counts nothing twice after a stop between a fold and the drop from the log', async () => {
    let p = await open();
    for (const commit of fleetReadings()) await write(p, commit);
    // Readers folded everything; no timed fold ran, so nothing was dropped from the log: the state a crash there leaves.
    expect(await p.store.telemetry.count()).toBe(DEVICES * 10);
    expect(rows(p)).toEqual({ table: DEVICES * 10, log: DEVICES * 10 });
    p = await reopen();
    expect(p.staged.pending).toBe(DEVICES * 10);
    expect(await historyCount(p, 5)).toBe(10);
    expect(await p.store.telemetry.count()).toBe(DEVICES * 10);
    await p.staged.folded();
    expect(rows(p)).toEqual({ table: DEVICES * 10, log: 0 });
  });

  it('stages nothing of a batch that did not commit', async () => {
    const p = await open();
    const good = reading(2, 1);
    await expect(write(p, [good, { ...reading(2, 2), deviceId: 'no-such-fridge' }])).rejects.toThrow();
    expect(p.staged.pending).toBe(0);
    expect(rows(p).log).toBe(0);
    expect((await write(p, [good]))[0]!.readingsInserted).toEqual([true]);
    expect(await p.store.telemetry.count('fridge-2')).toBe(1);
  });

  it('does not fold while the checkpointer holds the commits, and folds once they are released', async () => {
    const p = await open();
    for (const commit of fleetReadings(2)) await write(p, commit);
    const release = p.commits.hold();
    const done = p.staged.folded();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(rows(p).table).toBe(0);
    release();
    await done;
    expect(rows(p)).toEqual({ table: DEVICES * 2, log: 0 });
  });

  it('waits for a fold before staging more once maxPending readings are staged', async () => {
    const p = await open({ maxPending: DEVICES * 2 });
    const [first, second, third] = fleetReadings(3);
    await write(p, first!);
    await write(p, second!);
    expect(rows(p)).toEqual({ table: 0, log: DEVICES * 2 });
    expect(p.staged.full).toBe(true);
    // Full: this commit waits for the fold of the first two, then is staged.
    expect((await write(p, third!))[0]!.readingsInserted.every(Boolean)).toBe(true);
    expect(folds).toEqual([expect.objectContaining({ readings: DEVICES * 2 })]);
    expect(rows(p)).toEqual({ table: DEVICES * 2, log: DEVICES });
  });

  it('keeps the readings of a fold that failed staged, and the next fold moves them', async () => {
    const errors: unknown[] = [];
    const p = await open({ onError: (error) => errors.push(error) });
    for (const commit of fleetReadings(2)) await write(p, commit);
    p.db.exec(`CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.telemetry_temperature BEGIN SELECT RAISE(ABORT, 'the disk says no'); END`);
    await p.staged.folded();
    expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/the disk says no/) })]);
    expect(rows(p)).toEqual({ table: 0, log: DEVICES * 2 });
    expect(p.staged.pending).toBe(DEVICES * 2);
    p.db.exec('DROP TRIGGER refuse');
    await p.staged.folded();
    expect(rows(p)).toEqual({ table: DEVICES * 2, log: 0 });
    expect(p.staged.pending).toBe(0);
  });

  it('folds on its own every foldEveryMs, with no reader asking', async () => {
    const p = await open({ foldEveryMs: 20 });
    for (const commit of fleetReadings(3)) await write(p, commit);
    await vi.waitFor(() => expect(rows(p)).toEqual({ table: DEVICES * 3, log: 0 }));
    expect(folds.reduce((n, f) => n + f.readings, 0)).toBe(DEVICES * 3);
  });
});
