import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../../../store/index.js';
import { openInfluxStore, type InfluxStore } from '../../../store/influx/index.js';
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

describe('outbox de-duplication window', () => {
  let store: InfluxStore;
  const sent: string[] = [];

  beforeEach(async () => {
    sent.length = 0;
    store = openInfluxStore({
      sqlite: { file: ':memory:' },
      influx: { url: 'http://127.0.0.1:9', org: 'o', bucket: 'b', token: 't' },
      writer: { write: async (lines) => void sent.push(...lines), close: async () => undefined },
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
      `temperature,device=fridge-1,kind=temperature,profile=chilled,region=/sz/sz-ft/,site=site-ft boot="b1",doorOpen=F,received_at=${T0}i,seq=1i,temperatureC=4.5 ${old.ts}`,
      `temperature,device=fridge-1,kind=temperature,profile=chilled,region=/sz/sz-ft/,site=site-ft boot="b1",doorOpen=F,received_at=${T0 + 8 * DAY}i,seq=2i,temperatureC=4.5 ${recent.ts}`,
    ]);

    expect(store.outbox.forgetSeenBefore(T0 + 7 * DAY)).toBe(1);
    const [result] = await store.ingestSink.writeBatch([{ readings: [old, recent], findings: [], quarantine: [] }]);
    expect(result!.readingsInserted).toEqual([true, false]);
    await store.forwarder.drained();
    expect(sent).toHaveLength(3);
    expect(sent[2]).toBe(sent[0]);
  });
});
