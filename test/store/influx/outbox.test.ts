import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../../../store/index.js';
import { InfluxWriteError, openInfluxStore, type InfluxStore } from '../../../store/influx/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newDevice, seedTree, T0 } from '../store-contract.js';

const DAY = 86_400_000;

const reading = (seq: number, receivedAt: number): TelemetryRecord => ({
  deviceId: 'fridge-1',
  kind: 'temperature',
  ts: T0 + seq * 1000,
  seq,
  boot: 'b1',
  receivedAt,
  values: { temperatureC: 4.5, doorOpen: false },
});

describe('outbox', () => {
  let store: InfluxStore;
  const sent: string[] = [];
  /** Lines containing this are refused as InfluxDB refuses a field type conflict (HTTP 400). */
  let poison: string | undefined;

  beforeEach(async () => {
    sent.length = 0;
    poison = undefined;
    store = openInfluxStore({
      sqlite: { file: ':memory:' },
      influx: { url: 'http://127.0.0.1:9', org: 'o', bucket: 'b', token: 't' },
      writer: {
        write: async (lines) => {
          if (poison && lines.some((l) => l.includes(poison!))) throw new InfluxWriteError('HTTP 400 field type conflict', 400, undefined);
          sent.push(...lines);
        },
        close: async () => undefined,
      },
    });
    await seedTree(store.registry);
    await store.registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw', T0);
  });
  afterEach(async () => {
    await store.close();
  });

  it('recognises a resend inside the window and sends it again after the window (InfluxDB overwrites it)', async () => {
    const old = reading(1, T0);
    const recent = reading(2, T0 + 8 * DAY);
    await store.ingestSink.writeBatch([{ readings: [old, recent], findings: [], quarantine: [] }]);
    await store.forwarder.drained();
    expect(sent).toEqual([
      `temperature,device=fridge-1,kind=temperature,profile=chilled,region=/sz/sz-ft/,site=site-ft boot="b1",doorOpen=F,received_at=${T0}i,seq=1i,temperatureC=4.5 ${old.ts}000001`,
      `temperature,device=fridge-1,kind=temperature,profile=chilled,region=/sz/sz-ft/,site=site-ft boot="b1",doorOpen=F,received_at=${T0 + 8 * DAY}i,seq=2i,temperatureC=4.5 ${recent.ts}000002`,
    ]);

    expect(await store.outbox.forgetSeenBefore(T0 + 7 * DAY)).toBe(1);
    const [result] = await store.ingestSink.writeBatch([{ readings: [old, recent], findings: [], quarantine: [] }]);
    expect(result!.readingsInserted).toEqual([true, false]);
    await store.forwarder.drained();
    expect(sent).toHaveLength(3);
    expect(sent[2]).toBe(sent[0]);
  });

  it('keeps a reading InfluxDB refuses in telemetry_outbox_refused and delivers the rest', async () => {
    poison = 'seq=2i';
    await store.ingestSink.writeBatch([{ readings: [1, 2, 3].map((seq) => reading(seq, T0)), findings: [], quarantine: [] }]);
    await store.forwarder.drained();
    expect(sent.map((l) => l.match(/seq=(\d+)i/)![1])).toEqual(['1', '3']);
    expect(store.outbox.refused()).toEqual([{ id: 2, line: expect.stringContaining('seq=2i'), reason: 'HTTP 400 field type conflict', refusedAt: expect.any(Number) }]);
    expect(store.outbox.size()).toBe(0);
  });

  it('gives two readings of one device in the same millisecond two point times, and a resend the same one', async () => {
    const first = reading(1, T0);
    const second = { ...reading(2, T0), ts: first.ts };
    await store.ingestSink.writeBatch([{ readings: [first, second], findings: [], quarantine: [] }]);
    await store.forwarder.drained();
    const times = sent.map((line) => line.split(' ').at(-1)!);
    expect(new Set(times).size).toBe(2);
    // Still the device's millisecond, read back truncated to ms.
    for (const t of times) expect(t.slice(0, -6)).toBe(String(first.ts));
    await store.outbox.forgetSeenBefore(T0 + 1);
    await store.ingestSink.writeBatch([{ readings: [second], findings: [], quarantine: [] }]);
    await store.forwarder.drained();
    expect(sent[2]).toBe(sent[1]);
  });

  it('forgets de-duplication keys and refused lines in chunks, the newer ones kept', async () => {
    await store.ingestSink.writeBatch([{ readings: [1, 2, 3, 4].map((seq) => reading(seq, T0 + seq)), findings: [], quarantine: [] }]);
    expect(await store.outbox.forgetSeenBefore(T0 + 4, { chunkRows: 1 })).toBe(3);
    const [result] = await store.ingestSink.writeBatch([{ readings: [1, 4].map((seq) => reading(seq, T0 + 10)), findings: [], quarantine: [] }]);
    expect(result!.readingsInserted).toEqual([true, false]);

    poison = 'seq=9i';
    await store.ingestSink.writeBatch([{ readings: [reading(9, T0)], findings: [], quarantine: [] }]);
    await store.forwarder.drained();
    expect(store.outbox.refused()).toHaveLength(1);
    const refusedAt = store.outbox.refused()[0]!.refusedAt;
    expect(await store.outbox.forgetRefusedBefore(refusedAt)).toBe(0);
    expect(await store.outbox.forgetRefusedBefore(refusedAt + 1)).toBe(1);
    expect(store.outbox.refused()).toEqual([]);
  });
});

describe('outbox written before point times went to ns', () => {
  it('sends its waiting ms lines as ns, at the same instant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-outbox-'));
    const open = () =>
      openInfluxStore({
        sqlite: { file: join(dir, 'store.db'), synchronous: 'normal' },
        influx: { url: 'http://127.0.0.1:9', org: 'o', bucket: 'b', token: 't' },
        // InfluxDB is down, so rows stay in the outbox.
        writer: {
          write: async () => {
            throw new InfluxWriteError('unreachable', undefined, undefined);
          },
          close: async () => undefined,
        },
      });
    try {
      let store = open();
      await store.close();
      const legacy = `temperature,device=fridge-1,kind=temperature,profile=chilled,region=/sz/,site=s boot="b1",seq=1i,temperatureC=4.5 ${T0}`;
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(join(dir, 'store.db'));
      db.prepare('INSERT INTO telemetry_outbox (line, enqueued_at) VALUES (?, ?)').run(legacy, T0);
      db.close();
      store = open();
      expect(store.outbox.peek(10).map((r) => r.line)).toEqual([`${legacy}000000`]);
      await store.close();
      // Opening again changes nothing more.
      store = open();
      expect(store.outbox.peek(10).map((r) => r.line)).toEqual([`${legacy}000000`]);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
