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
    // No timed folds unless a test asks for them: its readers and folded() decide.
    parts = openSqliteParts({ file, synchronous: 'full', staging: { checkEveryMs: 3_600_000, onFold: (f) => folds.push(f), ...staging } });
    if (fresh) {
      await seedTree(parts.store.registry);
      for (let d = 0; d < DEVICES; d++) await parts.store.registry.createDevice(newDevice(`fridge-${d}`, 'site-ft'), 'pw', T0);
    }
    return parts;
  };
  const reopen = async (staging: SqliteStoreOptions['staging'] = {}) => {
    await parts!.store.close();
    return open(staging, false);
  };
  /** A stop with no fold at the close: what a crash leaves staged. */
  const crashAndReopen = async (staging: SqliteStoreOptions['staging'] = {}) => {
    parts!.staged.stop();
    return reopen(staging);
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
    // At sliceMs 0 one statement per slice: devices, several to a statement, then the drops of 50 rows each.
    expect(folds).toEqual([expect.objectContaining({ readings: DEVICES * 10, devices: DEVICES })]);
    expect(folds[0]!.slices).toBeGreaterThan(1 + (DEVICES * 10) / 50);
    expect(folds[0]!.slices).toBeLessThan(DEVICES + (DEVICES * 10) / 50);
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
    p = await crashAndReopen();
    expect(p.staged.pending).toBe(2);
    expect((await write(p, [later, r]))[0]!.readingsInserted).toEqual([false, false]);
    expect(await p.store.telemetry.count('fridge-1')).toBe(3);
  });

  it('tells readings taken in the same millisecond apart by seq, and still recognises their resends', async () => {
    let p = await open();
    // Three readings at one instant, seq rising, as a fast device or a batch sends them.
    const instant = Array.from({ length: 3 }, (_, i) => ({ ...reading(3, 1), seq: 10 + i, values: { temperatureC: 4 + i } }));
    expect((await write(p, instant))[0]!.readingsInserted).toEqual([true, true, true]);
    // Each of them again, staged, with a new one at the same instant between: only the new one is stored.
    const fresh = { ...reading(3, 1), seq: 13, values: { temperatureC: 9 } };
    expect((await write(p, [instant[2]!, fresh, instant[0]!, instant[1]!]))[0]!.readingsInserted).toEqual([false, true, false, false]);
    // The same (time, seq) from another boot is another reading; so is a lower seq at that time (a counter reset).
    expect((await write(p, [{ ...fresh, boot: 'b2' }, { ...reading(3, 1), seq: 2, values: { temperatureC: 1 } }]))[0]!.readingsInserted).toEqual([true, true]);
    // After a restart the device's newest seq at that instant is not known: resends are still found.
    p = await crashAndReopen();
    expect((await write(p, [fresh, instant[1]!, { ...fresh, seq: 14 }]))[0]!.readingsInserted).toEqual([false, false, true]);
    expect(await p.store.telemetry.count('fridge-3')).toBe(7);
  });

  it('stages a commit of many readings whole, finds a resend among them, and keeps log and copy in step', async () => {
    let p = await open();
    // 40 readings of one device in one commit, the 21st a resend of the 19th (written in the same statement as it would be).
    const many = Array.from({ length: 40 }, (_, i) => reading(4, i + 1));
    many.splice(20, 0, many[18]!);
    const inserted = (await write(p, many))[0]!.readingsInserted;
    expect(inserted.filter(Boolean)).toHaveLength(40);
    expect(inserted[20]).toBe(false);
    expect(rows(p).log).toBe(40);
    // After a crash, what the log holds is staged again; the fold moves it all and empties the log.
    p = await crashAndReopen();
    expect(p.staged.pending).toBe(40);
    await p.staged.folded();
    expect(rows(p)).toEqual({ table: 40, log: 0 });
    expect(await historyCount(p, 4)).toBe(40);
  });

  it('counts nothing twice after a stop between a fold and the drop from the log', async () => {
    let p = await open();
    for (const commit of fleetReadings()) await write(p, commit);
    // Readers folded everything; no timed fold ran, so nothing was dropped from the log: the state a crash there leaves.
    expect(await p.store.telemetry.count()).toBe(DEVICES * 10);
    expect(rows(p)).toEqual({ table: DEVICES * 10, log: DEVICES * 10 });
    p = await crashAndReopen();
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

  it('folds on its own once the readings since the last fold average foldPerDevice a device, and not before', async () => {
    const p = await open({ checkEveryMs: 5, foldPerDevice: 3 });
    const [first, second, third] = fleetReadings(3);
    await write(p, first!);
    await write(p, second!);
    // Two a device: twenty checks later, nothing folded.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rows(p)).toEqual({ table: 0, log: DEVICES * 2 });
    await write(p, third!);
    await vi.waitFor(() => expect(rows(p)).toEqual({ table: DEVICES * 3, log: 0 }));
    expect(folds).toEqual([expect.objectContaining({ readings: DEVICES * 3, devices: DEVICES })]);
  });

  it('spreads a fold due by the clock over three quarters of the time its readings took to arrive', async () => {
    const p = await open({ checkEveryMs: 5, foldPerDevice: 3, sliceMs: 0 });
    const [first, second, third] = fleetReadings(3);
    await write(p, first!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await write(p, second!);
    await write(p, third!);
    await vi.waitFor(() => expect(folds).toHaveLength(1), { timeout: 5_000 });
    // Gathered over 200 ms at least: spread over 150 ms at least, and it took that long (timers may fire a millisecond early).
    expect(folds[0]!.spreadSeconds).toBeGreaterThanOrEqual(0.15);
    expect(folds[0]!.seconds).toBeGreaterThanOrEqual(folds[0]!.spreadSeconds - 0.005);
    expect(rows(p)).toEqual({ table: DEVICES * 3, log: 0 });
  });

  it('does not make a reader waiting on folded() wait out a spread fold', async () => {
    const p = await open({ checkEveryMs: 5, foldPerDevice: 2, sliceMs: 0 });
    const [first, second, third] = fleetReadings(3);
    await write(p, first!);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await write(p, second!);
    // The fold starts at the next check, spread over 1.5 s; the reader asks while it runs.
    await vi.waitFor(() => expect(p.staged.pending).toBeLessThan(DEVICES * 2));
    await write(p, third!);
    await p.staged.folded();
    expect(folds[0]!.spreadSeconds).toBeGreaterThanOrEqual(1.5);
    expect(folds[0]!.seconds).toBeLessThan(folds[0]!.spreadSeconds);
    expect(rows(p)).toEqual({ table: DEVICES * 3, log: 0 });
  });

  it('folds a lone reading on its own once it has waited foldWithinMs', async () => {
    const p = await open({ checkEveryMs: 5, foldPerDevice: 1_000, foldWithinMs: 60 });
    const stagedAt = performance.now();
    await write(p, [reading(3, 1)]);
    await vi.waitFor(() => expect(rows(p)).toEqual({ table: 1, log: 0 }));
    // Never before its time (the checks read the same clock).
    expect(performance.now() - stagedAt).toBeGreaterThanOrEqual(60);
    expect(folds).toEqual([expect.objectContaining({ readings: 1 })]);
  });

  it('folds everything staged when the store closes, so the next start has nothing to stage again', async () => {
    let p = await open();
    for (const commit of fleetReadings(4)) await write(p, commit);
    expect(rows(p)).toEqual({ table: 0, log: DEVICES * 4 });
    p = await reopen();
    expect(p.staged.pending).toBe(0);
    expect(rows(p)).toEqual({ table: DEVICES * 4, log: 0 });
    expect(await historyCount(p, 7)).toBe(4);
  });

  it('folds what a crashed run left staged at its first check, with no new reading', async () => {
    let p = await open();
    for (const commit of fleetReadings(2)) await write(p, commit);
    p = await crashAndReopen({ checkEveryMs: 5 });
    expect(p.staged.pending).toBe(DEVICES * 2);
    await vi.waitFor(() => expect(rows(p)).toEqual({ table: DEVICES * 2, log: 0 }));
    expect(p.staged.pending).toBe(0);
  });
});
