import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePastReadings } from '../../bench/past-readings.js';
import { openSqliteParts, type SqliteParts } from '../../store/sqlite/index.js';
import { newDevice, seedTree, T0 } from '../store/store-contract.js';

const IDS = ['fridge-1', 'fridge-2', 'fridge-3'];

describe('bench: readings of the past written before a scenario', () => {
  let parts: SqliteParts;

  beforeEach(async () => {
    parts = openSqliteParts({ file: ':memory:' });
    await seedTree(parts.store.registry);
    for (const id of IDS) await parts.store.registry.createDevice(newDevice(id, 'site-ft'), 'pw', T0);
  });
  afterEach(() => parts.store.close());

  const rowsOf = (id: string) =>
    parts.db
      .prepare('SELECT ts, seq, boot FROM telemetry_temperature WHERE device_key = ? ORDER BY ts')
      .all(parts.keys.require(id)) as { ts: number; seq: number; boot: string }[];

  it('writes every device in turn, one round per interval, and stops at the total', async () => {
    // 7 is not a multiple of 3 devices: the last round is cut short, from its first device on.
    const written = await writePastReadings(parts.store.ingestSink, { deviceIds: IDS, total: 7, perDevice: 100, from: T0, intervalMs: 30_000, boot: 'past', afterBatch: () => parts.staged.folded() });
    expect(written).toBe(7);
    expect(await parts.store.telemetry.count()).toBe(7);
    expect(rowsOf('fridge-1')).toEqual([0, 1, 2].map((seq) => ({ ts: T0 + seq * 30_000, seq, boot: 'past' })));
    expect(rowsOf('fridge-2').map((r) => r.seq)).toEqual([0, 1]);
    expect(rowsOf('fridge-3').map((r) => r.seq)).toEqual([0, 1]);
    // Folded after its one transaction, as a server folds what it staged: each device's readings together, in time order.
    const order = parts.db.prepare('SELECT device_key AS key, seq FROM telemetry_temperature ORDER BY rowid').all() as { key: number; seq: number }[];
    expect(order.map((r) => r.seq)).toEqual([0, 1, 2, 0, 1, 0, 1]);
    expect(order.map((r) => r.key)).toEqual(['fridge-1', 'fridge-1', 'fridge-1', 'fridge-2', 'fridge-2', 'fridge-3', 'fridge-3'].map((id) => parts.keys.require(id)));
  });

  it('stops at the readings a device may have, whatever the total', async () => {
    const written = await writePastReadings(parts.store.ingestSink, { deviceIds: IDS, total: 100_000, perDevice: 2_000, from: T0, intervalMs: 10_000, boot: 'history', afterBatch: () => parts.staged.folded() });
    expect(written).toBe(6_000);
    for (const id of IDS) {
      const rows = rowsOf(id);
      expect(rows).toHaveLength(2_000);
      expect(rows.at(-1)).toEqual({ ts: T0 + 1_999 * 10_000, seq: 1_999, boot: 'history' });
    }
  });
});
